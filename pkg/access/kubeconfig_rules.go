package access

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// kubeconfigRuleIDs are the rules AuditKubeconfig reports; their metadata
// comes from the catalogue.
var kubeconfigRuleIDs = []finding.RuleID{
	checks.RuleKubeconfigStaticToken,
	checks.RuleKubeconfigBasicAuth,
	checks.RuleKubeconfigClientCertExpired,
	checks.RuleKubeconfigClientCertLong,
	checks.RuleKubeconfigClientCertMasters,
	checks.RuleKubeconfigInsecureSkipVerify,
	checks.RuleKubeconfigPlainHTTP,
	checks.RuleKubeconfigExecCredential,
}

// KubeconfigRules returns the catalogue entries of the rules AuditKubeconfig
// reports, in id order, or an error when the catalogue lacks one.
func KubeconfigRules() ([]*checks.Check, error) {
	cat := checks.Catalogue()
	out := make([]*checks.Check, 0, len(kubeconfigRuleIDs))
	for _, id := range kubeconfigRuleIDs {
		c, ok := checks.Lookup(cat, id)
		if !ok {
			return nil, fmt.Errorf("internal error: rule %s is not in the catalogue", id)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *checks.Check) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

// kubeconfigRuleSet indexes KubeconfigRules by id, built once.
var kubeconfigRuleSet = sync.OnceValues(func() (map[finding.RuleID]*checks.Check, error) {
	rules, err := KubeconfigRules()
	if err != nil {
		return nil, err
	}
	m := make(map[finding.RuleID]*checks.Check, len(rules))
	for _, c := range rules {
		m[c.ID] = c
	}
	return m, nil
})
