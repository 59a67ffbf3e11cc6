package auditlog

import (
	"encoding/base64"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &configMapCredentialsDetector{} }, checks.RuleAuditConfigMapCredentials)
}

// configMapCredentialsDetector reports ConfigMaps created, updated or
// patched with a data or binaryData entry holding a literal credential as
// checks.CredentialIn judges it (known token formats, credential-named
// keys with literal values, configuration files holding one): Falco's
// "Create/Modify Configmap With Private Credentials". Only key names are
// reported, never values.
type configMapCredentialsDetector struct{}

// maxConfigMapValue bounds the values judged: larger entries are files
// (bundles, dashboards) read in full by nobody.
const maxConfigMapValue = 1 << 20

func (d *configMapCredentialsDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Resource != "configmaps" || ev.Object.Subresource != "" {
		return
	}
	switch ev.Verb {
	case "create", "update", "patch":
	default:
		return
	}
	keys := objCredentialKeys(ev.Body.GetObject("data"), false)
	keys = append(keys, objCredentialKeys(ev.Body.GetObject("binaryData"), true)...)
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	obj := ResourceRef(ev)
	r.Report(Hit{
		Rule: checks.RuleAuditConfigMapCredentials, Object: obj,
		Message: ev.Actor() + " " + objPastTense(ev.Verb) + " ConfigMap " + objName(obj.Namespace, obj.Name) + " with " +
			objPlural(len(keys), "a credential in key ", "credentials in keys ") + strings.Join(keys, ", ") + ".",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

// objCredentialKeys names the entries of a data (or, base64-encoded,
// binaryData) map whose values hold a credential.
func objCredentialKeys(data *fastjson.Object, encoded bool) []string {
	if data == nil {
		return nil
	}
	var keys []string
	data.Visit(func(k []byte, v *fastjson.Value) {
		raw := v.GetStringBytes()
		if len(raw) == 0 || len(raw) > maxConfigMapValue {
			return
		}
		if encoded {
			dec, err := base64.StdEncoding.DecodeString(string(raw))
			if err != nil || !utf8.Valid(dec) {
				return
			}
			raw = dec
		}
		if checks.CredentialIn(string(k), string(raw)) != "" {
			keys = append(keys, string(k))
		}
	})
	return keys
}

func (d *configMapCredentialsDetector) advance(time.Time, *Reporter) {}
func (d *configMapCredentialsDetector) flush(*Reporter)              {}
