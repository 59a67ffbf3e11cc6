package netgen

import (
	"math/rand/v2"
	"net/netip"
)

// Label vocabularies: few values, so selectors often match.
var (
	envs  = []string{"prod", "staging", "dev"}
	teams = []string{"red", "blue", "green", "data"}
	apps  = []string{"web", "api", "db", "cache", "worker", "queue", "auth", "metrics"}
	tiers = []string{"frontend", "backend", "data"}
)

// namedPort is a port name with the numbers and protocol pods declare it
// with: one name, several numbers, so named ports resolve per pod.
type namedPort struct {
	name     string
	numbers  []int64
	protocol string
}

var portCatalogue = []namedPort{
	{"http", []int64{80, 8080, 8000}, "TCP"},
	{"https", []int64{443, 8443}, "TCP"},
	{"grpc", []int64{9090, 50051}, "TCP"},
	{"metrics", []int64{9100, 9090}, "TCP"},
	{"dns", []int64{53}, "UDP"},
	{"dns-tcp", []int64{53}, "TCP"},
	{"pg", []int64{5432}, "TCP"},
	{"redis", []int64{6379}, "TCP"},
	{"diameter", []int64{3868}, "SCTP"},
	{"syslog", []int64{514}, "UDP"},
}

// undeclaredPortName is a name policies use and no pod declares.
const undeclaredPortName = "admin"

// cidrs are the ipBlocks policies draw from, with their excepts, both
// address families.
var cidrs = []struct {
	cidr   string
	except []string
}{
	{"0.0.0.0/0", []string{"169.254.169.254/32"}},
	{"0.0.0.0/0", nil},
	{"10.0.0.0/8", []string{"10.1.0.0/16", "10.2.3.0/24"}},
	{"192.168.0.0/16", nil},
	{"203.0.113.0/24", []string{"203.0.113.128/25"}},
	{"169.254.169.254/32", nil},
	{"::/0", []string{"fd00:ec2::254/128"}},
	{"2001:db8::/32", []string{"2001:db8:1::/48"}},
	{"fd00:ec2::254/128", nil},
}

// Addresses returns addresses outside the cluster that fall inside,
// outside and in the excepts of the generated ipBlocks, in both families.
func Addresses() []netip.Addr {
	texts := []string{
		"1.1.1.1", "10.0.0.5", "10.1.2.3", "10.2.3.4", "169.254.169.254",
		"192.168.1.1", "203.0.113.9", "203.0.113.200",
		"2001:db8::1", "2001:db8:1::1", "fd00:ec2::254", "2606:4700::1111",
	}
	out := make([]netip.Addr, len(texts))
	for i, t := range texts {
		out[i] = netip.MustParseAddr(t)
	}
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is true with probability percent/100.
func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }
