// Package controller is GraphEnas's actor-critic: a graph convolution network reads the current
// architecture and proposes one edit (the actor), and predicts the mean and spread of the edit's
// effect on the validation loss (the critic). graphenas/DESIGN.md §3. It works on any space.Space, so the
// same controller searches the child network's supergraph and the NAS-Bench-201 cell.
//
// The return credited to the edit at step t is R_t = Σ_{k<K} γ^k δ_{t+k} with
// δ_t = log(loss_t) − log(loss_{t−1}): lower is better. The critic learns R by Gaussian negative
// log-likelihood; the actor minimises log π(a)·(critic mean − baseline), REINFORCE with the
// critic as the estimate (Williams 1992; Sutton et al. 2000), weighted 0.2 against the critic.
package controller

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/graphenas/graphenas/graphenas/space"
)

// Config holds every hyperparameter of the controller. Start from DefaultConfig (or
// FaithfulConfig) and change fields: New fills a zero numeric size or rate (Hidden, Layers,
// LearningRate, ActorWeight, K, Gamma, BetaSteps, ReplaySize, ReplayBatch) from DefaultConfig, but
// takes booleans, β and EntropyBonus as given, since false and 0 are meaningful there.
type Config struct {
	// Seed makes initialisation, sampling and replay draws reproducible.
	Seed uint64 `json:"seed"`
	// Hidden is the width of every layer.
	Hidden int `json:"hidden"`
	// Layers is the number of GraphSAGE layers.
	Layers int `json:"layers"`
	// LearningRate of Adam.
	LearningRate float64 `json:"learning_rate"`
	// ActorWeight weighs the actor's loss against the critic's (0.2 in the original).
	ActorWeight float64 `json:"actor_weight"`
	// K is the number of future steps credited to an edit; Gamma the discount (1 − 1/K when 0).
	K     int     `json:"k"`
	Gamma float64 `json:"gamma"`
	// BetaStart and BetaEnd are the inverse temperature at the first step and after BetaSteps
	// steps (linear in between): 0 is uniform exploration, larger exploits the actor.
	BetaStart float64 `json:"beta_start"`
	BetaEnd   float64 `json:"beta_end"`
	BetaSteps int     `json:"beta_steps"`
	// Replay trains the critic on minibatches of ReplayBatch transitions drawn from the last
	// ReplaySize; without it (the original) the critic sees each transition once.
	Replay      bool `json:"replay"`
	ReplaySize  int  `json:"replay_size"`
	ReplayBatch int  `json:"replay_batch"`
	// Baseline subtracts a running mean of the critic's predictions from the actor's estimate.
	Baseline bool `json:"baseline"`
	// EntropyBonus weighs the entropy of the policy, added to the actor's objective.
	EntropyBonus float64 `json:"entropy_bonus"`
	// AllActions trains the actor on the critic's prediction for every legal edit of the state,
	// weighted by its probability (the expected policy gradient, "mean actor-critic", Allen et al.
	// 2017, arXiv:1709.00503), instead of on the one sampled edit: same expectation, far less
	// variance, at the cost of one batched critic call over the legal edits per step.
	AllActions bool `json:"all_actions"`
	// ScaleReturns makes the critic learn returns divided by their running root mean square (it
	// still reports them in their own units), so that the actor's and critic's step sizes do not
	// depend on how large δ happens to be: a 1-point gain is a log-error change of 0.15 at 94%
	// accuracy but of 0.04 at 73%.
	ScaleReturns bool `json:"scale_returns"`

	// NumOps is set from the space.
	NumOps int `json:"num_ops"`
}

// DefaultConfig returns GraphEnas's improved settings: replay, baseline, a small entropy bonus
// and β rising from 0.5 to 3 over 100 steps.
func DefaultConfig() Config {
	return Config{Seed: 1, Hidden: 32, Layers: 2, LearningRate: 3e-3, ActorWeight: 0.2, K: 10,
		BetaStart: 0.5, BetaEnd: 3, BetaSteps: 100, Replay: true, ReplaySize: 512, ReplayBatch: 32,
		Baseline: true, EntropyBonus: 0.01, AllActions: true, ScaleReturns: true}
}

// FaithfulConfig returns the original's choices: the critic trained on one transition per step,
// no baseline, no entropy bonus, a constant β = 1, lr 1e-3.
func FaithfulConfig() Config {
	return Config{Seed: 1, Hidden: 32, Layers: 2, LearningRate: 1e-3, ActorWeight: 0.2, K: 10,
		BetaStart: 1, BetaEnd: 1, BetaSteps: 1, Replay: false, ReplayBatch: 1}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Hidden == 0 {
		c.Hidden = d.Hidden
	}
	if c.Layers == 0 {
		c.Layers = d.Layers
	}
	if c.LearningRate == 0 {
		c.LearningRate = d.LearningRate
	}
	if c.ActorWeight == 0 {
		c.ActorWeight = d.ActorWeight
	}
	if c.K == 0 {
		c.K = d.K
	}
	if c.Gamma == 0 {
		c.Gamma = 1 - 1/float64(c.K)
	}
	if c.BetaSteps == 0 {
		c.BetaSteps = 1
	}
	if c.ReplayBatch == 0 {
		c.ReplayBatch = d.ReplayBatch
	}
	if !c.Replay {
		c.ReplayBatch = 1
	}
	if c.ReplaySize == 0 {
		c.ReplaySize = d.ReplaySize
	}
	return c
}

// Proposal is an edit the actor sampled, with the critic's prediction of its return.
type Proposal struct {
	Before, After *space.Graph
	Action        space.Action
	// LogProb is log π(action) at the β used to sample it.
	LogProb float64
	// Mean and Std are the critic's prediction of the return.
	Mean, Std float64
	// Beta is the inverse temperature used.
	Beta float64
}

// transition is a proposal with what happened.
type transition struct {
	p      Proposal
	delta  float64
	ret    float64
	hasRet bool
	// qOp [N·nOps] and qDst [N·N] hold the critic's mean for every legal edit of p.Before (the
	// AllActions actor's targets); nil otherwise.
	qOp, qDst []float32
}

// Stats is everything one Observe learned from and reported: the losses of its training step,
// the policy's entropy, the observed edit's log-probability, the baseline and return scale in
// use, and the return it completed. A search's step record embeds it, so that every term of the
// algorithm can be plotted from the log alone.
type Stats struct {
	CriticLoss float64 `json:"critic_loss"`
	ActorLoss  float64 `json:"actor_loss"`
	// Entropy is the mean entropy of the whole hierarchical policy on the actor's rows.
	Entropy float64 `json:"entropy"`
	// Trained is false while fewer than K steps have been observed (the critic had no return).
	Trained bool `json:"trained"`
	// LogProb is log π of the observed edit at the β it was sampled with.
	LogProb float64 `json:"log_prob"`
	// Baseline is the running mean of the critic's predictions subtracted in the actor's
	// advantage (0 without Config.Baseline).
	Baseline float64 `json:"baseline"`
	// ReturnScale is the unit of the critic's outputs: the running root mean square of δ with
	// Config.ScaleReturns, else 1.
	ReturnScale float64 `json:"return_scale"`
	// Return is the realised return R = Σ_{k<K} γ^k δ of the edit observed K−1 observations
	// before this one (observation ReturnStep, counted from 0), which this δ completed; nil until
	// K observations exist.
	Return     *float64 `json:"return,omitempty"`
	ReturnStep *int     `json:"return_step,omitempty"`
}

// Controller is the actor-critic for one search space.
type Controller struct {
	cfg     Config
	sp      space.Space
	backend compute.Backend
	store   *model.Store
	pcg     *rand.PCG // the generator's state, saved with the controller
	rng     *rand.Rand
	step    int

	policyExec, criticExec, trainExec *model.Exec
	dist                              *tensors.Tensor

	history  []transition // the last K+1 transitions, for returns
	replay   []transition
	baseline float64
	// sumSq and count give the running mean square of δ (ScaleReturns).
	sumSq float64
	count int
}

// scale is what the critic's outputs are multiplied by to be in the units of δ: the root mean
// square of the δ seen so far with ScaleReturns, else 1.
func (c *Controller) scale() float64 {
	if !c.cfg.ScaleReturns || c.count == 0 || c.sumSq == 0 {
		return 1
	}
	return math.Sqrt(c.sumSq / float64(c.count))
}

// New returns a controller for sp with fresh weights.
func New(backend compute.Backend, sp space.Space, cfg Config) (*Controller, error) {
	cfg = cfg.withDefaults()
	cfg.NumOps = len(sp.OpNames())
	if cfg.K < 1 || cfg.Gamma < 0 || cfg.Gamma > 1 || cfg.Hidden < 1 || cfg.Layers < 0 || cfg.LearningRate <= 0 {
		return nil, fmt.Errorf("controller: invalid configuration %+v", cfg)
	}
	pcg := rand.NewPCG(cfg.Seed, 0xC0A7)
	c := &Controller{cfg: cfg, sp: sp, backend: backend, store: model.NewStore(), // encoder shared by actor and critic
		pcg: pcg, rng: rand.New(pcg)}
	if err := c.store.SetRNGStateFromSeed(int64(cfg.Seed)); err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	root := c.store.RootScope().WithInitializer(lecunNormal(c.store))
	c.dist = distanceCodes(sp.MaxNodes())
	var err error
	c.policyExec, err = model.NewExec(backend, c.store, func(_ *model.Scope, in []*Node) []*Node {
		a := policyArgsOf(in)
		g := a.Graphs
		h := encode(root, cfg, g.Feats, g.Pred, g.Succ)
		p := policy(root, cfg, h, g.Feats, g.Adj, masksOf(g), a.Beta, a.Dist)
		return []*Node{p.kind, p.node, p.op, p.src, p.dst}
	})
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	c.criticExec, err = model.NewExec(backend, c.store, func(_ *model.Scope, in []*Node) []*Node {
		a := criticArgsOf(in)
		hb := encode(root, cfg, a.BeforeFeats, a.BeforePred, a.BeforeSucc)
		ha := encode(root, cfg, a.AfterFeats, a.AfterPred, a.AfterSucc)
		mean, std := critic(root, cfg, hb, ha, a.BeforeFeats, a.AfterFeats)
		return []*Node{mean, std}
	})
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	opt := optimizer.Adam().LearningRate(cfg.LearningRate).Done()
	c.trainExec, err = model.NewExec(backend, c.store, func(_ *model.Scope, in []*Node) []*Node {
		return trainGraph(root, cfg, opt, trainArgsOf(in))
	})
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	return c, nil
}

// Config returns the configuration in use.
func (c *Controller) Config() Config { return c.cfg }

// Beta returns the inverse temperature of the next proposal.
func (c *Controller) Beta() float64 {
	f := math.Min(1, float64(c.step)/float64(c.cfg.BetaSteps))
	return c.cfg.BetaStart + (c.cfg.BetaEnd-c.cfg.BetaStart)*f
}

// Propose samples an edit of g from the actor at the current β, and asks the critic about it.
func (c *Controller) Propose(g *space.Graph) (Proposal, error) {
	ps, err := c.ProposeMany(g, 1)
	if err != nil {
		return Proposal{}, err
	}
	return ps[0], nil
}

// Predict returns the critic's mean and standard deviation of the return of moving from before
// to after.
func (c *Controller) Predict(before, after *space.Graph) (float64, float64, error) {
	m, s, err := c.PredictMany(before, []*space.Graph{after})
	if err != nil {
		return 0, 0, err
	}
	return m[0], s[0], nil
}

// Tables returns the actor's log-probability tables for g at inverse temperature beta.
func (c *Controller) Tables(g *space.Graph, beta float64) (*Tables, error) {
	in := c.graphInputs([]*space.Graph{g})
	out, err := c.policyExec.Exec(anys(policyArgs[any]{Graphs: anyGraphs(in), Dist: c.dist, Beta: float32(beta)}.list())...)
	if err != nil {
		return nil, fmt.Errorf("controller: actor: %w", err)
	}
	n, k := g.N(), c.cfg.NumOps
	return &Tables{n: n, nOps: k, Kind: flat(out[0]), Node: flat(out[1]), Op: flat(out[2]), Src: flat(out[3]), Dst: flat(out[4])}, nil
}

// Observe records what the proposal led to: delta = log(loss after) − log(loss before). Once K
// further steps are known, the oldest transition's return is complete and joins the critic's
// training data; every call trains the actor on this proposal and the critic on what is ready.
func (c *Controller) Observe(p Proposal, delta float64) (Stats, error) {
	if math.IsNaN(delta) || math.IsInf(delta, 0) {
		return Stats{}, fmt.Errorf("controller: non-finite δ %v for %v", delta, p.Action)
	}
	c.step++
	c.sumSq += delta * delta
	c.count++
	c.history = append(c.history, transition{p: p, delta: delta})
	var ready *transition
	var completed Stats // the return this δ completes, if any
	if len(c.history) >= c.cfg.K {
		t := c.history[len(c.history)-c.cfg.K]
		ret, disc := 0.0, 1.0
		for _, h := range c.history[len(c.history)-c.cfg.K:] {
			ret += disc * h.delta
			disc *= c.cfg.Gamma
		}
		t.ret, t.hasRet = ret, true
		ready = &t
		step := c.step - c.cfg.K
		completed.Return, completed.ReturnStep = &ret, &step
		c.replay = append(c.replay, t)
		if len(c.replay) > c.cfg.ReplaySize {
			c.replay = c.replay[len(c.replay)-c.cfg.ReplaySize:]
		}
		c.history = c.history[len(c.history)-c.cfg.K:]
	}
	if c.cfg.Baseline {
		c.baseline = 0.95*c.baseline + 0.05*p.Mean
	}
	// The critic's rows: a minibatch from the replay buffer, or the one ready transition.
	rows := make([]transition, 0, c.cfg.ReplayBatch+1)
	weights := make([]float32, 0, c.cfg.ReplayBatch+1)
	for i := 0; i < c.cfg.ReplayBatch; i++ {
		switch {
		case ready == nil:
			rows, weights = append(rows, transition{p: p}), append(weights, 0)
		case c.cfg.Replay:
			rows, weights = append(rows, c.replay[c.rng.IntN(len(c.replay))]), append(weights, 1)
		default:
			rows, weights = append(rows, *ready), append(weights, 1)
		}
	}
	// The actor's row: this proposal, with the critic's view of every alternative if asked.
	actorRow := transition{p: p}
	if c.cfg.AllActions {
		var err error
		if actorRow.qOp, actorRow.qDst, err = c.allActionMeans(p.Before); err != nil {
			return Stats{}, err
		}
	}
	rows = append(rows, actorRow)
	actor := make([]float32, len(rows))
	actor[len(rows)-1] = 1
	st, err := c.train(rows, append(weights, 0), actor)
	if err != nil {
		return st, err
	}
	st.LogProb, st.Baseline, st.ReturnScale = p.LogProb, c.baseline, c.scale()
	st.Return, st.ReturnStep = completed.Return, completed.ReturnStep
	return st, nil
}

// allActionMeans returns the critic's mean return (in its own units, see ScaleReturns) for every legal edit of g, laid out as the
// op table [N·nOps] and the destination table [N·N].
func (c *Controller) allActionMeans(g *space.Graph) (qOp, qDst []float32, err error) {
	n, k := g.N(), c.cfg.NumOps
	acts := space.Actions(c.sp, g)
	befores := make([]*space.Graph, len(acts))
	afters := make([]*space.Graph, len(acts))
	for i, a := range acts {
		befores[i] = g
		if afters[i], err = space.Apply(c.sp, g, a); err != nil {
			return nil, nil, err
		}
	}
	b, a := c.graphInputs(befores), c.graphInputs(afters)
	out, err := c.criticExec.Exec(c.criticInputs(b, a)...)
	if err != nil {
		return nil, nil, fmt.Errorf("controller: critic over all edits: %w", err)
	}
	means := flat(out[0])
	flat(out[1])
	qOp, qDst = make([]float32, n*k), make([]float32, n*n)
	for i, act := range acts {
		if act.Kind == space.ChangeOp {
			qOp[act.Node*k+act.Op] = means[i]
		} else {
			qDst[act.From*n+act.To] = means[i]
		}
	}
	return qOp, qDst, nil
}

// FitCritic runs one training step of the critic alone on the given moves and their returns
// (the actor is not updated). It is how the critic can be taught or tested on a known reward.
func (c *Controller) FitCritic(before, after []*space.Graph, returns []float64) (Stats, error) {
	if len(before) == 0 || len(before) != len(after) || len(before) != len(returns) {
		return Stats{}, fmt.Errorf("controller: FitCritic needs as many befores, afters and returns (%d, %d, %d)", len(before), len(after), len(returns))
	}
	rows := make([]transition, len(before))
	cw, aw := make([]float32, len(before)), make([]float32, len(before))
	for i := range rows {
		rows[i] = transition{p: Proposal{Before: before[i], After: after[i]}, ret: returns[i], hasRet: true}
		cw[i] = 1
	}
	return c.train(rows, cw, aw)
}

// train runs one Adam step on rows, weighing each row's critic and actor losses.
func (c *Controller) train(rows []transition, criticWeights, actorWeights []float32) (Stats, error) {
	before := make([]*space.Graph, len(rows))
	after := make([]*space.Graph, len(rows))
	t := len(rows)
	n, k := c.sp.MaxNodes(), c.cfg.NumOps
	sc := c.scale()
	kindOH, nodeOH, opOH := make([]float32, t*2), make([]float32, t*n), make([]float32, t*k)
	srcOH, dstOH := make([]float32, t*n), make([]float32, t*n)
	returns, cw, aw := make([]float32, t), make([]float32, t), make([]float32, t)
	qOp, qDst := make([]float32, t*n*k), make([]float32, t*n*n)
	for i, r := range rows {
		copy(qOp[i*n*k:], r.qOp)
		copy(qDst[i*n*n:], r.qDst)
		before[i], after[i] = r.p.Before, r.p.After
		a := r.p.Action
		if a.Kind == space.ChangeOp {
			kindOH[i*2] = 1
			nodeOH[i*n+a.Node] = 1
			opOH[i*k+a.Op] = 1
		} else {
			kindOH[i*2+1] = 1
			srcOH[i*n+a.From] = 1
			dstOH[i*n+a.To] = 1
		}
		returns[i] = float32(r.ret / sc)
		cw[i], aw[i] = criticWeights[i], actorWeights[i]
	}
	b, a := c.graphInputs(before), c.graphInputs(after)
	tens := func(v []float32, dims ...int) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, dims...) }
	baseline := float32(0)
	if c.cfg.Baseline {
		baseline = float32(c.baseline / sc)
	}
	args := trainArgs[any]{Before: anyGraphs(b), Dist: c.dist, AfterFeats: a.Feats, AfterPred: a.Pred, AfterSucc: a.Succ,
		KindOH: tens(kindOH, t, 2), NodeOH: tens(nodeOH, t, n), OpOH: tens(opOH, t, k), SrcOH: tens(srcOH, t, n), DstOH: tens(dstOH, t, n),
		Returns: tens(returns, t), CriticWeights: tens(cw, t), ActorWeight: tens(aw, t),
		Baseline: baseline, EntropyBonus: float32(c.cfg.EntropyBonus),
		QOp: tens(qOp, t, n, k), QDst: tens(qDst, t, n, n), AllActions: boolF32(c.cfg.AllActions)}
	out, err := c.trainExec.Exec(anys(args.list())...)
	if err != nil {
		return Stats{}, fmt.Errorf("controller: training: %w", err)
	}
	trained := false
	for _, w := range criticWeights {
		trained = trained || w > 0
	}
	return Stats{CriticLoss: float64(flat(out[0])[0]), ActorLoss: float64(flat(out[1])[0]), Entropy: float64(flat(out[2])[0]), Trained: trained}, nil
}

// trainGraph is one Adam step on the critic's negative log-likelihood plus the weighted actor loss
// minus the entropy bonus (trainArgs names the inputs). Outputs: critic loss, actor loss, mean
// entropy.
func trainGraph(scope *model.Scope, cfg Config, opt optimizer.Interface, in trainArgs[*Node]) []*Node {
	feats, pred, succ, adj := in.Before.Feats, in.Before.Pred, in.Before.Succ, in.Before.Adj
	m, dist := masksOf(in.Before), in.Dist
	aFeats, aPred, aSucc := in.AfterFeats, in.AfterPred, in.AfterSucc
	kindOH, nodeOH, opOH, srcOH, dstOH := in.KindOH, in.NodeOH, in.OpOH, in.SrcOH, in.DstOH
	returns, cw, aw, baseline, entropyBonus := in.Returns, in.CriticWeights, in.ActorWeight, in.Baseline, in.EntropyBonus
	qOp, qDst, allActions := in.QOp, in.QDst, in.AllActions
	g := feats.Graph()

	hb := encode(scope, cfg, feats, pred, succ)
	ha := encode(scope, cfg, aFeats, aPred, aSucc)
	mean, std := critic(scope, cfg, hb, ha, feats, aFeats)
	// Gaussian negative log-likelihood of the realised returns.
	z := Div(Sub(returns, mean), std)
	nll := Add(Log(std), AddScalar(MulScalar(Mul(z, z), 0.5), 0.5*math.Log(2*math.Pi)))
	criticLoss := Div(ReduceAllSum(Mul(nll, cw)), Max(ReduceAllSum(cw), ScalarOne(g, cw.DType())))

	// log π(action) at β = 1, the policy's own distribution.
	one := ScalarOne(g, feats.DType())
	p := policy(scope, cfg, hb, feats, adj, m, one, dist)
	logp := ReduceSum(Mul(kindOH, p.kind), 1)
	logp = Add(logp, ReduceSum(Mul(nodeOH, p.node), 1))
	logp = Add(logp, ReduceSum(Mul(opOH, Einsum("tn,tno->to", nodeOH, p.op)), 1))
	logp = Add(logp, ReduceSum(Mul(srcOH, p.src), 1))
	logp = Add(logp, ReduceSum(Mul(dstOH, Einsum("tn,tnm->tm", srcOH, p.dst)), 1))
	advantage := StopGradient(Sub(mean, baseline))
	reinforce := Mul(logp, advantage) // [T]
	// The expected version: Σ_a π(a)·(q(a) − baseline) over every legal edit.
	pKindAll := Exp(p.kind)
	expOp := ReduceSum(Mul(Exp(p.node), ReduceSum(Mul(Exp(p.op), qOp), 2)), 1)    // Σ_n p(n) Σ_o p(o|n) q
	expEdge := ReduceSum(Mul(Exp(p.src), ReduceSum(Mul(Exp(p.dst), qDst), 2)), 1) // Σ_i p(i) Σ_j p(j|i) q
	expected := Sub(Add(Mul(Reshape(Dot(pKindAll, Const(g, [][]float32{{1}, {0}})).Product(), -1), expOp),
		Mul(Reshape(Dot(pKindAll, Const(g, [][]float32{{0}, {1}})).Product(), -1), expEdge)), baseline)
	perRow := Add(Mul(allActions, expected), Mul(OneMinus(allActions), reinforce))
	actorLoss := Div(ReduceAllSum(Mul(aw, perRow)), Max(ReduceAllSum(aw), one))

	// Entropy of the whole hierarchical action distribution.
	ent := func(logTable *Node, axis int) *Node { return Neg(ReduceSum(Mul(Exp(logTable), logTable), axis)) }
	pKind := Exp(p.kind) // [T, 2]
	opPart := Add(ent(p.node, 1), ReduceSum(Mul(Exp(p.node), ent(p.op, 2)), 1))
	edgePart := Add(ent(p.src, 1), ReduceSum(Mul(Exp(p.src), ent(p.dst, 2)), 1))
	// Column selection by products, not slices: simplego cannot differentiate Slice.
	pOp := Reshape(Dot(pKind, Const(g, [][]float32{{1}, {0}})).Product(), -1)
	pEdge := Reshape(Dot(pKind, Const(g, [][]float32{{0}, {1}})).Product(), -1)
	entropy := Add(ent(p.kind, 1), Add(Mul(pOp, opPart), Mul(pEdge, edgePart)))
	meanEntropy := Div(ReduceAllSum(Mul(aw, entropy)), Max(ReduceAllSum(aw), one))

	loss := Sub(Add(criticLoss, MulScalar(actorLoss, cfg.ActorWeight)), Mul(entropyBonus, meanEntropy))
	opt.UpdateGraph(scope, g, loss)
	return []*Node{criticLoss, actorLoss, meanEntropy}
}

// lecunNormal initialises weights with N(0, 1/fan-in) from the store's seeded generator, and
// biases with zeros. He's N(0, 2/fan-in) assumes ReLU's mean squared slope of 1/2; fuzzy ReLU's
// slope reaches 2, and He's scale made the outputs of the 5-layer critic grow about 30×.
func lecunNormal(store *model.Store) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		if shape.Rank() <= 1 || !shape.DType.IsFloat() {
			return Zeros(g, shape)
		}
		return MulScalar(store.RandomNormal(g, shape), 1/math.Sqrt(float64(shape.Dimensions[0])))
	}
}

func boolF32(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// flat copies a float32 tensor's values.
func flat(t *tensors.Tensor) []float32 {
	var v []float32
	tensors.MustConstFlatData(t, func(f []float32) { v = append(v, f...) })
	t.FinalizeAll()
	return v
}
