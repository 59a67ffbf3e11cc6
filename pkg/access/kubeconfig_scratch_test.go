package access

import (
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/client-go/tools/clientcmd"
)

func TestScratch(t *testing.T) {
	for _, s := range []string{
		"",
		"foo: bar\n",
		"kind: Deployment\napiVersion: apps/v1\n",
		"users: 3\n",
		"users:\n- name: a\n  user:\n    token: 123\n",
		"users:\n- name: a\n  user:\n    client-certificate-data: '!!!'\n",
		"users:\n- name: a\n  user:\n    token: x\n- name: a\n  user:\n    password: y\n",
		"clusters:\n- name: a\n  cluster:\n    insecure-skip-tls-verify: yes\n",
		"[1,2]",
		"\x00\x01",
		"a: b\n c: d\n",
		"users:\n- name: a\n  user:\n    token: x\n---\nusers:\n- name: b\n  user:\n    token: x\n",
		"apiVersion: v2\nkind: Config\n",
	} {
		c, err := clientcmd.Load([]byte(s))
		var n yaml.Node
		yerr := yaml.Unmarshal([]byte(s), &n)
		if err != nil {
			fmt.Printf("%q: load err %v | yaml err %v\n", s, err, yerr)
			continue
		}
		fmt.Printf("%q: users %d clusters %d | yaml err %v\n", s, len(c.AuthInfos), len(c.Clusters), yerr)
		for k, v := range c.AuthInfos {
			fmt.Printf("   %s %+v\n", k, *v)
		}
		for k, v := range c.Clusters {
			fmt.Printf("   %s %+v\n", k, *v)
		}
	}
}
