package controlplane

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// InputError is an input the check could not read or understand. It names
// the file, the line when known and the flag that named the file; it never
// quotes the file's content.
type InputError struct {
	File string
	Line int
	Flag string // e.g. --encryption-provider-config, when a flag named the file
	Msg  string
	// Warning marks problems the check worked around (a stray word on a
	// command line): reported, but not an input error.
	Warning bool
}

func (e *InputError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Flag != "" {
		return fmt.Sprintf("%s (named by --%s): %s", loc, e.Flag, e.Msg)
	}
	return loc + ": " + e.Msg
}

// maxConfigBytes bounds a referenced configuration file.
const maxConfigBytes = 4 << 20

// readRegularFile reads at most limit bytes of a regular file; a FIFO or a
// device named by a flag must not hang the check.
func readRegularFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errors.New(pathErr(err))
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, over the limit of %d bytes", st.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New(pathErr(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, errors.New(pathErr(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is over the limit of %d bytes", limit)
	}
	return data, nil
}

// pathErr is the message of an error without the path of an
// *os.PathError: the caller names the file.
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// resolve maps an absolute path found in a flag onto the root the node's
// filesystem is copied to; relative paths are taken as they are.
func resolve(root, p string) string {
	if root == "" || root == "/" || !filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// configFile is a referenced configuration file read and decoded.
type configFile struct {
	Path string     // resolved path, for findings and errors
	Node *yaml.Node // the document, for line numbers
}

// readConfig reads the file a flag names and decodes it strictly into out,
// after checking apiVersion and kind. Errors name the file and the flag and
// never quote the content (encryption keys live in these files).
func readConfig(root string, f Flag, wantAPIVersions []string, wantKind string, out any) (*configFile, error) {
	p := resolve(root, f.Value)
	fail := func(line int, msg string) error {
		return &InputError{File: p, Line: line, Flag: f.Name, Msg: msg}
	}
	data, err := readRegularFile(p, maxConfigBytes)
	if err != nil {
		return nil, fail(0, err.Error())
	}
	return decodeConfig(p, f.Name, data, wantAPIVersions, wantKind, out)
}

// decodeConfig is readConfig after reading: p is the file's name and flag
// the flag that named it, for errors.
func decodeConfig(p, flag string, data []byte, wantAPIVersions []string, wantKind string, out any) (*configFile, error) {
	fail := func(line int, msg string) error {
		return &InputError{File: p, Line: line, Flag: flag, Msg: msg}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ye := yamlError(p, err).(*InputError)
		return nil, fail(ye.Line, ye.Msg)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(0, fmt.Sprintf("empty or not a %s document", wantKind))
	}
	root0 := doc.Content[0]
	av, kind := scalar(lookup(root0, "apiVersion")), scalar(lookup(root0, "kind"))
	if kind != wantKind || !contains(wantAPIVersions, av) {
		return nil, fail(line(root0, "kind"), fmt.Sprintf("expected kind %s (apiVersion %v), found kind %q apiVersion %q",
			wantKind, wantAPIVersions, kind, av))
	}
	if err := sigsyaml.UnmarshalStrict(data, out); err != nil {
		// The decoder's message may quote values; keep only what is safe.
		return nil, fail(0, "does not match the "+wantKind+" schema: "+safeDecodeError(err))
	}
	return &configFile{Path: p, Node: root0}, nil
}

// safeDecodeError keeps the part of a decoding error that names fields
// (unknown or duplicate fields, wrong types) and drops anything that might
// quote a value.
func safeDecodeError(err error) string {
	msg := err.Error()
	for _, safe := range []string{"unknown field", "duplicate field", "cannot unmarshal"} {
		if i := strings.Index(msg, safe); i >= 0 {
			return msg[i:]
		}
	}
	return "malformed document"
}

// Referenced configuration kinds and versions the check reads.
var (
	encryptionVersions = []string{"apiserver.config.k8s.io/v1"}
	auditVersions      = []string{"audit.k8s.io/v1"}
	authnVersions      = []string{"apiserver.config.k8s.io/v1", "apiserver.config.k8s.io/v1beta1", "apiserver.config.k8s.io/v1alpha1"}
	authzVersions      = authnVersions
	admissionVersions  = []string{"apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1alpha1"}
)

func readEncryption(root string, f Flag) (*apiserverv1.EncryptionConfiguration, *configFile, error) {
	var c apiserverv1.EncryptionConfiguration
	cf, err := readConfig(root, f, encryptionVersions, "EncryptionConfiguration", &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, cf, nil
}

func readAuditPolicy(root string, f Flag) (*auditv1.Policy, *configFile, error) {
	var c auditv1.Policy
	cf, err := readConfig(root, f, auditVersions, "Policy", &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, cf, nil
}

func readAuthentication(root string, f Flag) (*apiserverv1.AuthenticationConfiguration, *configFile, error) {
	var c apiserverv1.AuthenticationConfiguration
	cf, err := readConfig(root, f, authnVersions, "AuthenticationConfiguration", &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, cf, nil
}

func readAuthorization(root string, f Flag) (*apiserverv1.AuthorizationConfiguration, *configFile, error) {
	var c apiserverv1.AuthorizationConfiguration
	cf, err := readConfig(root, f, authzVersions, "AuthorizationConfiguration", &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, cf, nil
}

func readAdmission(root string, f Flag) (*apiserverv1.AdmissionConfiguration, *configFile, error) {
	var c apiserverv1.AdmissionConfiguration
	cf, err := readConfig(root, f, admissionVersions, "AdmissionConfiguration", &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, cf, nil
}

// checkExists reports a file a flag names that is missing, without reading
// it (token files hold credentials).
func checkExists(root string, f Flag) error {
	p := resolve(root, f.Value)
	st, err := os.Stat(p)
	if err != nil {
		return &InputError{File: p, Flag: f.Name, Msg: pathErr(err)}
	}
	if !st.Mode().IsRegular() {
		return &InputError{File: p, Flag: f.Name, Msg: "not a regular file"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
