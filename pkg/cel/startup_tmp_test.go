package cel

import (
	"testing"
	"time"

	"k8s.io/apiserver/pkg/cel/environment"
)

func TestTmpStartupSplit(t *testing.T) {
	t0 := time.Now()
	set := environment.MustBaseEnvSet(CompatibilityVersion)
	t1 := time.Now()
	_ = set
	_, err := baseEnv()
	t2 := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MustBaseEnvSet %v, extend %v", t1.Sub(t0), t2.Sub(t1))
}
