package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kharden/kharden/pkg/finding"
)

// Where the rollout keeps its state.
const (
	SystemNamespace = "kharden-system"
	StateConfigMap  = "kharden-rollout"
	stateKey        = "state.json"
)

// State is the stage of every rule, with its history.
type State struct {
	Rules map[finding.RuleID]*RuleState `json:"rules"`
	// Applied is when the policies were last written: annotation
	// exceptions expire as of that day.
	Applied time.Time `json:"applied,omitempty"`
}

// RuleState is one rule's stage and how it got there.
type RuleState struct {
	Stage   Stage  `json:"stage"`
	History []Step `json:"history,omitempty"`
}

// Step is one stage change.
type Step struct {
	From Stage     `json:"from"`
	To   Stage     `json:"to"`
	At   time.Time `json:"at"`
}

// Since is when the rule reached its current stage (zero when never moved).
func (r *RuleState) Since() time.Time {
	if r == nil || len(r.History) == 0 {
		return time.Time{}
	}
	return r.History[len(r.History)-1].At
}

// StageOf is a rule's stage (StageNone when unknown).
func (s *State) StageOf(id finding.RuleID) Stage {
	if s == nil || s.Rules[id] == nil {
		return StageNone
	}
	return s.Rules[id].Stage
}

// Previous is the stage a rule was at before its last change.
func (s *State) Previous(id finding.RuleID) (Stage, bool) {
	r := s.Rules[id]
	if r == nil || len(r.History) == 0 {
		return StageNone, false
	}
	return r.History[len(r.History)-1].From, true
}

// RuleIDs are the rules the state knows, sorted.
func (s *State) RuleIDs() []finding.RuleID {
	out := make([]finding.RuleID, 0, len(s.Rules))
	for id := range s.Rules {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ReadState reads the state ConfigMap; a missing one is an empty state.
func ReadState(ctx context.Context, cs kubernetes.Interface) (*State, error) {
	st := &State{Rules: map[finding.RuleID]*RuleState{}}
	cm, err := cs.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, StateConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the rollout state %s/%s: %w", SystemNamespace, StateConfigMap, err)
	}
	if err := json.Unmarshal([]byte(cm.Data[stateKey]), st); err != nil {
		return nil, fmt.Errorf("rollout state %s/%s: %w", SystemNamespace, StateConfigMap, err)
	}
	if st.Rules == nil {
		st.Rules = map[finding.RuleID]*RuleState{}
	}
	return st, nil
}

// configMap renders the state for the cluster.
func (s *State) configMap() (*corev1.ConfigMap, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: StateConfigMap, Labels: map[string]string{ManagedBy: "kharden"}},
		Data:       map[string]string{stateKey: string(b)},
	}, nil
}

// Move returns a copy of the state with rules moved to their target
// stages at now. A move forward by more than one stage is refused: every
// rule goes through audit, warn, canary and production before everywhere.
func (s *State) Move(targets map[finding.RuleID]Stage, now time.Time) (*State, error) {
	next := &State{Rules: map[finding.RuleID]*RuleState{}, Applied: now}
	for id, r := range s.Rules {
		c := *r
		c.History = append([]Step(nil), r.History...)
		next.Rules[id] = &c
	}
	var bad []string
	ids := make([]finding.RuleID, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		to := targets[id]
		from := next.StageOf(id)
		if to > from+1 {
			bad = append(bad, fmt.Sprintf("%s is at %d (%s): stage %d (%s) skips %s", id, from, from, to, to, Stage(from+1)))
			continue
		}
		if to == from {
			continue
		}
		r := next.Rules[id]
		if r == nil {
			r = &RuleState{}
			next.Rules[id] = r
		}
		r.Stage = to
		r.History = append(r.History, Step{From: from, To: to, At: now.UTC()})
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("refused, nothing written: %v", bad)
	}
	return next, nil
}

// Rollback returns a copy of the state with each rule back at the stage
// before its last change (the change is removed from its history). Rules
// that never moved are refused.
func (s *State) Rollback(ids []finding.RuleID, now time.Time) (*State, error) {
	next, _ := s.Move(nil, now)
	var bad []string
	for _, id := range ids {
		r := next.Rules[id]
		if r == nil || len(r.History) == 0 {
			bad = append(bad, string(id)+" has no earlier stage")
			continue
		}
		last := r.History[len(r.History)-1]
		r.History = r.History[:len(r.History)-1]
		r.Stage = last.From
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("refused, nothing written: %v", bad)
	}
	return next, nil
}
