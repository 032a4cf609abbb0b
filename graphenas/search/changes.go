package search

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// ResumableFields are the settings (JSON paths of Config) that a resumed search may change: its
// pace and schedule, not what it searches or how the search decides. Change applies them.
var ResumableFields = []string{"supergraph.learning_rate", "budget", "eval_batches", "checkpoint_every"}

// ConfigChange is one setting changed on a running search: its JSON path and its values.
type ConfigChange struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// String reads "supergraph.learning_rate 0.03 → 0.01".
func (c ConfigChange) String() string {
	return fmt.Sprintf("%s %s → %s", c.Field, jsonText(c.From), jsonText(c.To))
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// changesText joins changes for a message.
func changesText(cs []ConfigChange) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// configDiff lists the fields whose values differ between a and b, by JSON path, sorted.
func configDiff(a, b Config) []ConfigChange {
	fa, fb := flatJSON(a), flatJSON(b)
	var out []ConfigChange
	for k, va := range fa {
		if vb, ok := fb[k]; !ok || !reflect.DeepEqual(va, vb) {
			out = append(out, ConfigChange{Field: k, From: va, To: fb[k]})
		}
	}
	for k, vb := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, ConfigChange{Field: k, To: vb})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// flatJSON returns v's JSON form as path → value for every leaf.
func flatJSON(v any) map[string]any {
	raw, _ := json.Marshal(v)
	var tree map[string]any
	json.Unmarshal(raw, &tree)
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, child := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, child)
			}
			return
		}
		out[prefix] = v
	}
	walk("", tree)
	return out
}

// resumable reports whether the JSON path field is one of ResumableFields or inside one.
func resumable(field string) bool {
	for _, f := range ResumableFields {
		if field == f || strings.HasPrefix(field, f+".") {
			return true
		}
	}
	return false
}

// CheckChange returns how cfg differs from saved, the configuration of a search, as Change would
// apply it, or Change's error when cfg asks for a change a resumed search refuses; nothing is
// changed. Check before Resume, which rewrites the run's log, so that a refused change leaves the
// run directory as it was.
func CheckChange(saved, cfg Config) (Config, []ConfigChange, error) {
	next, err := cfg.withDefaults()
	if err != nil {
		return next, nil, err
	}
	// Settings the search fills itself are not the caller's to change.
	next.Supergraph.Seed, next.Supergraph.EvalBatchStats = saved.Supergraph.Seed, saved.Supergraph.EvalBatchStats
	next.Supergraph.Kernels = saved.Supergraph.Kernels
	next.Controller = saved.Controller // a record of the strategy's controller, not a setting
	diff := configDiff(saved, next)
	var refused []ConfigChange
	for _, c := range diff {
		if !resumable(c.Field) {
			refused = append(refused, c)
		}
	}
	if len(refused) > 0 {
		return next, nil, fmt.Errorf("search: a resumed search keeps its settings, and these differ: %s (a resumed run may change %s)",
			changesText(refused), strings.Join(ResumableFields, ", "))
	}
	return next, diff, nil
}

// Change gives the running search the settings of cfg where they differ from its own. Only
// ResumableFields may differ: any other difference is refused, naming every differing field, and
// nothing changes. The changes apply from the next step, are recorded in that step's record
// (ConfigChanges) and saved with the next checkpoint.
func (s *Search) Change(cfg Config) ([]ConfigChange, error) {
	next, diff, err := CheckChange(s.cfg, cfg)
	if err != nil {
		return nil, err
	}
	if len(diff) == 0 {
		return nil, nil
	}
	if err := s.sg.SetLearningRate(next.Supergraph.LearningRate); err != nil {
		return nil, err
	}
	s.cfg.Supergraph.LearningRate = next.Supergraph.LearningRate
	s.cfg.Budget, s.cfg.EvalBatches, s.cfg.CheckpointEvery = next.Budget, next.EvalBatches, next.CheckpointEvery
	s.pending = append(s.pending, diff...)
	return diff, nil
}
