package controller

import (
	"fmt"

	"github.com/graphenas/graphenas/graphenas/space"
)

// ActionFilter says which of the legal edits acts of g (space.Actions(sp, g), in that order) the
// actor may propose: true where allowed. It must depend on g and acts only, since the actor's
// training recomputes it for the graphs it replays.
type ActionFilter func(g *space.Graph, acts []space.Action) []bool

// SetActionFilter restricts the actor's policy to the edits f allows: it becomes the softmax over
// those edits alone, both when it proposes and when it learns, so no probability is spent on an
// edit that would be refused, and the expected policy gradient (AllActions) weighs only allowed
// edits. Where f allows none of a graph's edits, every legal edit stays allowed. nil removes the
// filter. Set it before the first proposal; the filter is not part of State (Restore takes the
// filter of the controller it is given).
func (c *Controller) SetActionFilter(f ActionFilter) { c.filter = f }

// allowedActions returns the filter's verdict on acts of g, or nil when every legal edit is
// allowed (no filter, or one that allows none).
func (c *Controller) allowedActions(g *space.Graph, acts []space.Action) []bool {
	if c.filter == nil {
		return nil
	}
	allowed := c.filter(g, acts)
	if len(allowed) != len(acts) {
		panic(fmt.Sprintf("controller: the action filter answered %d verdicts for %d actions", len(allowed), len(acts))) // a programmer error
	}
	for _, ok := range allowed {
		if ok {
			return allowed
		}
	}
	return nil
}
