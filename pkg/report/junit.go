package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
)

// JUnit XML for CI test reports (GitLab, Jenkins, Azure DevOps): one
// <testsuite> per rule that ran, one <testcase> per finding failing with
// the severity as its type, suppressed findings skipped, and one passing
// test case for a rule without findings so that passed checks show. Input
// errors get their own suite of errored test cases.

// inputSuite names the suite of input errors.
const inputSuite = "kharden.input"

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

// junitProblem's body is CDATA so that its lines stay lines for the CI
// viewers; termSafe has removed every character XML cannot hold.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func renderJUnit(w io.Writer, v *view) error {
	// Findings by rule; rules missing from Rules get a suite after the rest.
	byRule := map[finding.RuleID][]*finding.Finding{}
	rules := append([]Rule(nil), v.rules...)
	for i := range v.findings {
		f := &v.findings[i]
		if _, listed := v.ruleIdx[f.Rule]; !listed && byRule[f.Rule] == nil {
			rules = append(rules, v.rule(f))
		}
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}

	out := junitSuites{Name: v.toolName()}
	for _, r := range rules {
		s := junitSuite{Name: string(r.ID)}
		props := &junitProperties{Property: []junitProperty{
			{Name: "category", Value: string(r.Category)},
			{Name: "severity", Value: r.Severity.String()},
		}}
		if r.Level != finding.LevelNone {
			props.Property = append(props.Property, junitProperty{Name: "pssLevel", Value: string(r.Level)})
		}
		s.Properties = props
		for _, f := range byRule[r.ID] {
			c := junitFindingCase(f)
			switch {
			case f.Suppressed != nil:
				s.Skipped++
			default:
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "no findings", Classname: string(r.ID)})
		}
		s.Tests = len(s.Cases)
		out.add(s)
	}

	if v.summary.Errors > 0 {
		s := junitSuite{Name: inputSuite}
		for _, d := range v.diags {
			if d.Warning {
				continue
			}
			s.Cases = append(s.Cases, junitCase{
				Name:      termSafe(d.String()),
				Classname: inputSuite,
				File:      termSafe(d.File),
				Line:      d.Line,
				Error:     &junitProblem{Message: termSafe(d.Message), Type: "input", Body: termSafe(d.String())},
			})
			s.Errors++
		}
		s.Tests = len(s.Cases)
		out.add(s)
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("report: writing JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func (s *junitSuites) add(suite junitSuite) {
	s.Suites = append(s.Suites, suite)
	s.Tests += suite.Tests
	s.Failures += suite.Failures
	s.Errors += suite.Errors
	s.Skipped += suite.Skipped
}

func junitFindingCase(f *finding.Finding) junitCase {
	name := f.Object.String()
	if where := whereOf(f); where != "" {
		name += " " + where
	}
	file, line, _ := sourceOf(f)
	c := junitCase{Name: termSafe(name), Classname: termSafe(string(f.Rule)), File: termSafe(file), Line: line}
	if f.Suppressed != nil {
		c.Skipped = &junitSkipped{Message: suppressionText(f.Suppressed)}
		return c
	}
	c.Failure = &junitProblem{
		Message: termSafe(f.Message),
		Type:    f.Severity.String(),
		Body:    junitBody(f),
	}
	return c
}

// junitBody is the failure's text: where, what, and how to fix it.
func junitBody(f *finding.Finding) string {
	var b strings.Builder
	if file, line, _ := sourceOf(f); file != "" {
		b.WriteString(termSafe(file))
		if line > 0 {
			b.WriteString(":" + strconv.Itoa(line))
		}
		b.WriteByte('\n')
	}
	b.WriteString(termSafe(f.Object.String()))
	if where := whereOf(f); where != "" {
		b.WriteString(" " + where)
	}
	b.WriteByte('\n')
	b.WriteString(f.Severity.String() + ": " + termSafe(f.Message) + "\n")
	if f.Remediation != "" {
		b.WriteString("Remediation: " + termSafeBlock(f.Remediation) + "\n")
	}
	if len(f.References) > 0 {
		refs := make([]string, len(f.References))
		for i, r := range f.References {
			refs[i] = termSafe(r)
		}
		b.WriteString("References: " + strings.Join(refs, ", ") + "\n")
	}
	if f.Owner != "" {
		b.WriteString("Owner: " + termSafe(f.Owner) + "\n")
	}
	return b.String()
}
