package access

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
)

// Subject is an identity asked about: a User (with the groups it is asked
// with), a Group (asked as a member of that group only) or a ServiceAccount
// (with the groups the API server gives it).
type Subject struct {
	Kind      string   `json:"kind"` // User, Group, ServiceAccount
	Name      string   `json:"name"`
	Namespace string   `json:"namespace,omitempty"` // ServiceAccounts only
	Groups    []string `json:"groups,omitempty"`
}

// maxSubjectLen bounds a subject argument; Kubernetes names are far shorter.
const maxSubjectLen = 1024

// ParseSubject reads a subject as `kharden rbac can` takes it: User:NAME
// (or user:NAME, or a bare NAME), Group:NAME, ServiceAccount:NS/NAME (or
// sa:NS/NAME, or system:serviceaccount:NS:NAME). The prefix is matched
// without regard to case. A User is asked with extraGroups and
// system:authenticated (system:anonymous with system:unauthenticated
// instead); a Group or a ServiceAccount takes no extra groups.
func ParseSubject(s string, extraGroups []string) (Subject, error) {
	if err := rbCheckText("subject", s); err != nil {
		return Subject{}, err
	}
	for _, g := range extraGroups {
		if err := rbCheckText("group", g); err != nil {
			return Subject{}, err
		}
		if g == "" {
			return Subject{}, fmt.Errorf("group: an empty group name")
		}
	}
	if s == "" {
		return Subject{}, fmt.Errorf("subject: empty (want User:NAME, Group:NAME or ServiceAccount:NAMESPACE/NAME)")
	}
	var sub Subject
	if ns, name, ok := rbac.ParseServiceAccountUser(s); ok {
		sub = Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	} else if strings.HasPrefix(s, "system:serviceaccount:") {
		return Subject{}, fmt.Errorf("subject %q: want system:serviceaccount:NAMESPACE:NAME", s)
	} else {
		var err error
		if sub, err = rbParsePrefixed(s); err != nil {
			return Subject{}, err
		}
	}
	switch sub.Kind {
	case rbacv1.UserKind:
		sub.Groups = rbUserGroups(sub.Name, extraGroups)
	case rbacv1.GroupKind:
		if len(extraGroups) > 0 {
			return Subject{}, fmt.Errorf("--group applies to users only: a Group is asked as a member of that group alone")
		}
		sub.Groups = []string{sub.Name}
	case rbacv1.ServiceAccountKind:
		if len(extraGroups) > 0 {
			return Subject{}, fmt.Errorf("--group applies to users only: a ServiceAccount has the groups the API server gives it")
		}
		sub.Groups = rbac.ServiceAccount(sub.Namespace, sub.Name).Groups
	}
	return sub, nil
}

// rbParsePrefixed reads KIND:NAME, or a bare user name. A name may hold
// colons (system:kube-scheduler, oidc:alice): only a known kind prefix, or
// one that looks like a kind (a capitalised word), is read as a kind.
func rbParsePrefixed(s string) (Subject, error) {
	prefix, rest, found := strings.Cut(s, ":")
	if !found {
		return Subject{Kind: rbacv1.UserKind, Name: s}, nil
	}
	switch strings.ToLower(prefix) {
	case "user":
		if rest == "" {
			return Subject{}, fmt.Errorf("subject %q: a User needs a name (User:NAME)", s)
		}
		return Subject{Kind: rbacv1.UserKind, Name: rest}, nil
	case "group":
		if rest == "" {
			return Subject{}, fmt.Errorf("subject %q: a Group needs a name (Group:NAME)", s)
		}
		return Subject{Kind: rbacv1.GroupKind, Name: rest}, nil
	case "serviceaccount", "sa":
		ns, name, ok := strings.Cut(rest, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return Subject{}, fmt.Errorf("subject %q: want ServiceAccount:NAMESPACE/NAME", s)
		}
		return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
	}
	if prefix != "" && rbIsKindWord(prefix) {
		return Subject{}, fmt.Errorf("subject %q: unknown subject kind %q (want User:NAME, Group:NAME or ServiceAccount:NAMESPACE/NAME)", s, prefix)
	}
	return Subject{Kind: rbacv1.UserKind, Name: s}, nil
}

// rbIsKindWord: Role, ClusterRole, Serviceaccounts... a capitalised word of
// letters is meant as a kind, never as the start of a user name.
func rbIsKindWord(s string) bool {
	for i, r := range s {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) || (i == 0 && !unicode.IsUpper(r)) {
			return false
		}
	}
	return true
}

func rbUserGroups(name string, extra []string) []string {
	implicit := rbac.GroupAuthenticated
	if name == rbac.UserAnonymous {
		implicit = rbac.GroupUnauthenticated
	}
	out := make([]string, 0, len(extra)+1)
	seen := map[string]bool{}
	for _, g := range append(append([]string{}, extra...), implicit) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// rbNobody is the user name a Group is asked with: no binding names it.
const rbNobody = "\x00"

// User is the identity the authorizer sees for the subject. A Group is
// asked with a user name no binding can name, and its grants are kept to
// those made to groups (see Can).
func (s Subject) User() rbac.User {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return rbac.User{Name: rbac.ServiceAccountUser(s.Namespace, s.Name), Groups: s.Groups}
	case rbacv1.GroupKind:
		return rbac.User{Name: rbNobody, Groups: s.Groups}
	}
	return rbac.User{Name: s.Name, Groups: s.Groups}
}

// String renders the subject as ParseSubject reads it.
func (s Subject) String() string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return "ServiceAccount:" + s.Namespace + "/" + s.Name
	}
	return s.Kind + ":" + s.Name
}

// rbCheckText rejects arguments no Kubernetes name can be: control
// characters, invalid UTF-8, absurd lengths.
func rbCheckText(what, s string) error {
	if len(s) > maxSubjectLen {
		return fmt.Errorf("%s: %d bytes, longer than any Kubernetes name", what, len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: not valid UTF-8", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s %q: control characters are not allowed", what, s)
		}
	}
	return nil
}
