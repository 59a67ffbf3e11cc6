package network

import (
	"strings"
	"testing"
)

func TestParseDependsOn(t *testing.T) {
	cases := []struct {
		in   string
		want string // the dependencies, space-separated, or "error: ..."
	}{
		{"shop/db:5432/TCP, ip:10.0.0.0/8:443", "shop/db:5432/TCP ip:10.0.0.0/8:443/TCP"},
		{"shop/db:pg", "shop/db:pg/TCP"},
		{"shop/StatefulSet/db:5432", "shop/StatefulSet/db:5432/TCP"},
		{"kube-system/coredns:53/udp", "kube-system/coredns:53/UDP"},
		{"ip:1.2.3.4:8000-8080/TCP", "ip:1.2.3.4/32:8000-8080/TCP"},
		{"ip:2001:db8::/32:443", "ip:2001:db8::/32:443/TCP"},
		{"ip:[2001:db8::1]:443", "ip:2001:db8::1/128:443/TCP"},
		{" , shop/db:1 ,, ", "shop/db:1/TCP"},
		{"", ""},
		{"shop/db", `error: entry 1 "shop/db": no port`},
		{"db:5432", `error: entry 1 "db:5432": "db": write NAMESPACE/NAME`},
		{"shop/db:0", `error: entry 1 "shop/db:0": port "0": 0 is not a port number`},
		{"shop/db:5432/ICMP", `unknown protocol "ICMP"`},
		{"shop/db:1, ip:10.1.0.0/8:443", `entry 2 "ip:10.1.0.0/8:443": "10.1.0.0/8" is not a network address`},
		{"ip:10.0.0.0/8:https", "a port outside the cluster is a number"},
		{"ip:[2001:db8::1:443", "write ip:[ADDRESS]:PORT"},
		{"ip:nothing:80", `"nothing" is not an address`},
		{"ip:10.0.0.1", "no port"},
		{"Shop/db:1", `"Shop" is not a namespace name`},
		{strings.Repeat("a/b:1,", 501), "more than 500 entries"},
	}
	for _, c := range cases {
		deps, err := ParseDependsOn(c.in)
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var s []string
			for _, d := range deps {
				s = append(s, d.String())
			}
			got = strings.Join(s, " ")
		}
		if !strings.Contains(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("ParseDependsOn(%q) = %q, want %q", clip(c.in), got, c.want)
		}
	}
}

// FuzzParseDependsOn: any annotation gives dependencies or an error,
// never a panic; what it gives prints back to something it reads again
// the same.
func FuzzParseDependsOn(f *testing.F) {
	f.Add("shop/db:5432/TCP, ip:10.0.0.0/8:443")
	f.Add("ip:[2001:db8::1]:443, a/Deployment/b:http/UDP")
	f.Fuzz(func(t *testing.T, s string) {
		deps, err := ParseDependsOn(s)
		if err != nil {
			return
		}
		for _, d := range deps {
			again, err := ParseDependsOn(d.String())
			if err != nil || len(again) != 1 || again[0] != d {
				t.Fatalf("%q -> %v -> %v %v", s, d, again, err)
			}
		}
	})
}
