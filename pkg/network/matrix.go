package network

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kharden/kharden/pkg/analysis/netpol"
)

// Matrix is who reaches whom among the workloads of a namespace (or of
// the whole input), read from the reachability summary: rows are
// sources, columns destinations, and each cell the ports allowed.
//
// A cell lists the destination's declared ports that are allowed
// ("5432/TCP"), "*/PROTO" when every port of the protocol passes, and
// "some/PROTO" when some port passes but none the destination declares;
// "*" alone is every port of every protocol, "-" nothing. The running pods
// of one workload (a live cluster) that behave alike are one row, named
// by the workload.
type Matrix struct {
	Namespace string `json:"namespace,omitempty"`
	// Workloads are the rows and columns, in order.
	Workloads []string `json:"workloads"`
	// Allowed lists the cells that are not "-".
	Allowed []MatrixCell `json:"allowed"`
	// External is each workload's traffic with the outside.
	External []MatrixExternal `json:"external"`

	cells [][]string
}

// MatrixCell is what one workload may open to another.
type MatrixCell struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Ports []string `json:"ports"`
}

// MatrixExternal is a workload's traffic with addresses outside the
// cluster, on some port: FromOutside, some address may connect to it;
// ToInternet, it may connect to a public address; ToMetadata, to a cloud
// metadata endpoint.
type MatrixExternal struct {
	Workload    string `json:"workload"`
	FromOutside bool   `json:"fromOutside"`
	ToInternet  bool   `json:"toInternet"`
	ToMetadata  bool   `json:"toMetadata"`
}

// matrixRow is one row: a workload (or the alike pods of one) and its
// class.
type matrixRow struct {
	name string
	w    *netpol.Workload
}

// BuildMatrix computes the matrix of a namespace ("" for every namespace)
// from the summary. It is an error to name a namespace without workloads.
func BuildMatrix(s *netpol.Summary, namespace string) (*Matrix, error) {
	m := s.Model
	var rows []matrixRow
	seen := map[string]bool{}
	for _, w := range m.Workloads {
		if namespace != "" && w.Namespace.Name != namespace {
			continue
		}
		name := w.Name()
		if w.Owner != w.Ref {
			// Pods of one workload alike (same class) are one row.
			name = w.Owner.Namespace + "/" + w.Owner.Kind + "/" + w.Owner.Name
			if key := name + "\x00" + strconv.Itoa(w.Class.ID); seen[key] {
				continue
			} else {
				seen[key] = true
			}
		}
		rows = append(rows, matrixRow{name: name, w: w})
	}
	if namespace != "" && len(rows) == 0 {
		return nil, fmt.Errorf("namespace %q has no workload in the input", namespace)
	}
	matrixDedupe(rows)
	mx := &Matrix{Namespace: namespace, Workloads: make([]string, len(rows)), Allowed: []MatrixCell{},
		External: make([]MatrixExternal, len(rows)), cells: make([][]string, len(rows))}
	cache := map[[2]int][]string{}
	for i, src := range rows {
		mx.Workloads[i] = src.name
		cs := s.Classes[src.w.Class.ID]
		mx.External[i] = MatrixExternal{Workload: src.name, FromOutside: cs.FromOutside.Allowed, ToInternet: cs.Internet.Allowed}
		for _, e := range cs.Metadata {
			mx.External[i].ToMetadata = mx.External[i].ToMetadata || e.Allowed
		}
		mx.cells[i] = make([]string, len(rows))
		for j, dst := range rows {
			key := [2]int{src.w.Class.ID, dst.w.Class.ID}
			ports, ok := cache[key]
			if !ok {
				ports = matrixCellPorts(s, src.w, dst.w)
				cache[key] = ports
			}
			if len(ports) == 0 {
				mx.cells[i][j] = "-"
				continue
			}
			mx.cells[i][j] = strings.Join(ports, ",")
			mx.Allowed = append(mx.Allowed, MatrixCell{From: src.name, To: dst.name, Ports: ports})
		}
	}
	return mx, nil
}

// matrixDedupe makes names unique ("#2" after a repeated one: pods of
// one workload in two classes, mid-rollout).
func matrixDedupe(rows []matrixRow) {
	count := map[string]int{}
	for i := range rows {
		count[rows[i].name]++
		if n := count[rows[i].name]; n > 1 {
			rows[i].name += "#" + strconv.Itoa(n)
		}
	}
}

// matrixCellPorts is what src may open to dst, as the cell lists it.
func matrixCellPorts(s *netpol.Summary, src, dst *netpol.Workload) []string {
	sc, dc := src.Class, dst.Class
	if !s.ReachesAny(sc, dc) {
		return nil
	}
	var out []string
	every := 0
	for _, proto := range netpol.Protocols {
		if !s.Reaches(sc, dc, proto) {
			continue
		}
		if s.ReachesEvery(sc, dc, proto) {
			every++
			out = append(out, "*/"+proto)
			continue
		}
		found := false
		seen := map[int32]bool{}
		for _, cp := range dst.Ports {
			if cp.Protocol != proto || seen[cp.Port] {
				continue
			}
			seen[cp.Port] = true
			if s.Model.Reach(netpol.Endpoint{Workload: src}, netpol.Endpoint{Workload: dst}, netpol.Conn{Port: cp.Port, Protocol: proto}).Allowed {
				out = append(out, strconv.Itoa(int(cp.Port))+"/"+proto)
				found = true
			}
		}
		if !found {
			out = append(out, "some/"+proto)
		}
	}
	if every == len(netpol.Protocols) {
		return []string{"*"}
	}
	return out
}

// WriteTable prints the matrix: a legend numbering the workloads, then
// one row per source with the destinations as numbered columns and the
// traffic with the outside.
func (mx *Matrix) WriteTable(w io.Writer) error {
	var b strings.Builder
	if len(mx.Workloads) == 0 {
		b.WriteString("No workloads.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	header := []string{"#", "FROM \\ TO"}
	for j := range mx.Workloads {
		header = append(header, strconv.Itoa(j+1))
	}
	header = append(header, "IN-FROM-OUTSIDE", "OUT-TO-INTERNET", "OUT-TO-METADATA")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, name := range mx.Workloads {
		row := []string{strconv.Itoa(i + 1), answerSafe(name)}
		row = append(row, mx.cells[i]...)
		e := mx.External[i]
		row = append(row, matrixYes(e.FromOutside), matrixYes(e.ToInternet), matrixYes(e.ToMetadata))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nCells: destination ports allowed; */PROTO every port of the protocol, * every port, some/PROTO a port the destination does not declare, - nothing.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func matrixYes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
