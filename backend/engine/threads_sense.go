package engine

import "time"

// sense moves each class's count to what the latest reading of the
// machine (cpuload.go) leaves room for: down at once when other programs
// took cores the count needs, and back to the count it gave up when they
// are free again. Between readings the tuner's own trials go on as before;
// a reading is applied once, so a trial that won against the reading (a
// low-priority program gives its core back when the engine runs) stands
// until the next window says otherwise.
func (t *threadTuner) sense(r cpuReading) {
	if t.fixed || t.blind || t.max <= 1 || r.seq == t.sensed {
		return
	}
	t.sensed = r.seq
	lower, raise := min(r.freeToLower(), t.max), min(r.freeToRaise(), t.max)
	doubt := float64(doubtfulRatio)
	if t.tiny {
		doubt = tinyDoubtfulRatio
	}
	for c := range t.classes {
		a := &t.classes[c]
		// A trial of the cores taken would collapse at its first step (the
		// 1B's first trial of two threads, four steps after the move, cost
		// a reply 5 %); it waits, and still comes: a low-priority program
		// gives its core back while the engine runs. That holds for a
		// count already at the free cores too (a small model's steps start
		// at one thread).
		for n := lower + 1; n <= t.max; n++ {
			a.ratio[n] = max(a.ratio[n], doubt)
		}
		switch {
		case lower < a.cur:
			if a.held == 0 {
				a.held = a.cur
			}
			a.move(lower, tunerSchedule[c])
		case a.held > 0 && raise > a.cur:
			n := min(a.held, raise)
			if n == a.held {
				a.held = 0
			}
			a.move(n, tunerSchedule[c])
		}
	}
}

// move makes n the count in use on a machine that changed: the trial
// under way ends unjudged and every timing goes (they describe the machine
// as it was: a collapsed trial's steps would hide the next spike, idle
// steps would make a loaded count look slow).
func (a *tunerArm) move(n int, sched schedule) {
	a.cur, a.probe, a.pairTrial, a.since, a.period, a.assumed = n, 0, 0, 0, sched.first, 0
	clear(a.times)
}

// lasting is the count each class keeps for the next load: the one given
// up to other programs' load where one was (the sensor gives it up again
// at once if the load is still there), else the count in use.
func (a *tunerArm) lasting() int {
	if a.held > 0 {
		return a.held
	}
	return a.cur
}

// sensedDecode applies the sensor's latest reading to the tuner before a
// decode. Engines that do not tune sample too: the window another engine
// of the process reads next stays short.
func (t *threadTuner) sensedDecode(now time.Time) {
	if r, ok := sensor.latest(now); ok {
		t.sense(r)
	}
}
