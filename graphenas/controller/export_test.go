package controller

// trainCritic runs steps extra training steps of the critic alone, each on a minibatch drawn
// from the replay buffer. It does nothing while the buffer is empty.
func (c *Controller) trainCritic(steps int) (Stats, error) {
	var st Stats
	if len(c.replay) == 0 || steps <= 0 {
		return st, nil
	}
	for s := 0; s < steps; s++ {
		rows := make([]transition, c.cfg.ReplayBatch)
		cw, aw := make([]float32, len(rows)), make([]float32, len(rows))
		for i := range rows {
			rows[i], cw[i] = c.replay[c.rng.IntN(len(c.replay))], 1
		}
		var err error
		if st, err = c.train(rows, cw, aw); err != nil {
			return st, err
		}
	}
	return st, nil
}
