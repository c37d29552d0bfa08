package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

const (
	// exitGrace is how long a worker that closed its output may take to
	// exit before it is killed, and how long its pipes may stay open after
	// it exited (held by a process it started).
	exitGrace = 2 * time.Second
	// maxLogLines bounds how many of one worker's stderr lines go to the log.
	maxLogLines = 2000
	tailLines   = 40
)

// proc is one worker process. Its goroutines (stdout reader, stderr reader,
// run) end when the process exits; exited is closed after it was waited
// for, when reason says why it ended.
type proc struct {
	cmd *exec.Cmd
	log *slog.Logger

	wmu   sync.Mutex // one frame at a time on stdin
	stdin *os.File

	stdout, stderr *os.File // the read ends of its output pipes

	cmu    sync.Mutex
	cur    *call // the request whose responses are wanted
	nextID uint64

	readers  sync.WaitGroup
	mem      *memWatch // its memory, to tell the OOM killer from other kills
	exited   chan struct{}
	reason   string       // set before exited is closed
	closing  atomic.Bool  // Close asked it to stop: its end is not a crash
	badFrame atomic.Value // error: it sent a malformed frame and was killed

	tmu     sync.Mutex
	tail    []string // the last lines of its stderr
	notable []string // the first lines that look like the cause of a crash
}

// call is one request's view of the responses.
type call struct {
	id   uint64
	ch   chan Message
	done chan struct{} // closed when the caller stops listening
}

// startProc starts cmd as a worker. Its stdin, stdout and stderr are
// plain pipes that cmd.Wait does not touch, so that what a dying worker
// wrote is read to the end.
func startProc(cmd *exec.Cmd, log *slog.Logger) (*proc, error) {
	setPdeathsig(cmd)
	var ends [6]*os.File // child stdin, our stdin; our stdout, child stdout; our stderr, child stderr
	for i := 0; i < 6; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(ends[:i])
			return nil, apperr.Wrap(apperr.Internal, err, "the engine could not be started")
		}
		ends[i], ends[i+1] = r, w
	}
	childIn, stdin, stdout, childOut, stderr, childErr := ends[0], ends[1], ends[2], ends[3], ends[4], ends[5]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = childIn, childOut, childErr
	p := &proc{cmd: cmd, log: log, stdin: stdin, stdout: stdout, stderr: stderr, exited: make(chan struct{})}
	p.readers.Add(2)
	started := make(chan error, 1)
	go p.run(started)
	err := <-started
	closeAll([]*os.File{childIn, childOut, childErr}) // the child has its own copies
	if err != nil {
		closeAll([]*os.File{stdin, stdout, stderr})
		return nil, apperr.Wrap(apperr.Internal, err, "the engine could not be started")
	}
	p.log = log.With("worker", cmd.Process.Pid)
	go p.readFrames(stdout)
	go p.readStderr(stderr)
	return p, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// run starts the worker and reaps it. It keeps its OS thread for the
// worker's life: Pdeathsig fires when the thread that started the child
// ends, and a Go thread can end while the app lives (golang/go#27505).
func (p *proc) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	p.mem = watchMemory(p.cmd.Process.Pid)
	started <- nil
	err := p.cmd.Wait()
	p.mem.stopWatch()
	// Read what it wrote before it died; a process it started may hold the
	// pipes open: stop reading then.
	drained := make(chan struct{})
	go func() { p.readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(exitGrace):
		p.stdout.Close()
		p.stderr.Close()
		<-drained
	}
	p.wmu.Lock()
	p.stdin.Close()
	p.wmu.Unlock()
	p.reason = p.exitReason(err)
	if !p.closing.Load() {
		p.log.Error("the engine worker stopped", "reason", p.reason)
	}
	close(p.exited)
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) kill() { _ = p.cmd.Process.Kill() }

// begin registers a call for m (giving it a fresh id) and sends m.
func (p *proc) begin(m Message) (*call, error) {
	p.cmu.Lock()
	p.nextID++
	c := &call{id: p.nextID, ch: make(chan Message, 16), done: make(chan struct{})}
	p.cur = c
	p.cmu.Unlock()
	m.ID = c.id
	if err := p.send(m); err != nil {
		p.end(c)
		return nil, err
	}
	return c, nil
}

// end stops delivering responses to c; later ones are dropped.
func (p *proc) end(c *call) {
	close(c.done)
	p.cmu.Lock()
	if p.cur == c {
		p.cur = nil
	}
	p.cmu.Unlock()
}

func (p *proc) send(m Message) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return WriteFrame(p.stdin, m)
}

// readFrames delivers the worker's responses to the current call.
func (p *proc) readFrames(r io.ReadCloser) {
	defer p.readers.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		m, err := ReadFrame(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, os.ErrClosed) {
				p.badFrame.Store(err)
				p.kill()
			}
			// The output ends when the worker exits; one that lives on is killed.
			t := time.AfterFunc(exitGrace, p.kill)
			go func() { <-p.exited; t.Stop() }()
			return
		}
		p.cmu.Lock()
		c := p.cur
		p.cmu.Unlock()
		if c == nil || c.id != m.ID {
			continue // an answer nobody waits for any more (a late cancel)
		}
		select {
		case c.ch <- m:
		case <-c.done:
		}
	}
}

// readStderr passes the worker's stderr to the log and keeps its tail for
// the crash report.
func (p *proc) readStderr(r io.ReadCloser) {
	defer p.readers.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	logged := 0
	for {
		line, isPrefix, err := br.ReadLine()
		if err != nil {
			return
		}
		text := strings.TrimSpace(string(line))
		for isPrefix && err == nil { // a very long line: keep its start
			_, isPrefix, err = br.ReadLine()
		}
		if text == "" {
			continue
		}
		if logged++; logged < maxLogLines {
			p.log.Info("engine: " + text)
		} else if logged == maxLogLines {
			p.log.Warn("engine: more output not logged")
		}
		p.tmu.Lock()
		if len(p.notable) < 4 && notable.MatchString(text) {
			p.notable = append(p.notable, text)
		}
		p.tail = append(p.tail, text)
		if len(p.tail) > tailLines {
			p.tail = p.tail[len(p.tail)-tailLines:]
		}
		p.tmu.Unlock()
	}
}

// stop ends the worker: a close request and the end of its input, then a
// kill when it has not exited within timeout. It returns once it was waited for.
func (p *proc) stop(timeout time.Duration) error {
	p.closing.Store(true)
	_ = p.send(Message{Kind: KindClose})
	p.wmu.Lock()
	p.stdin.Close()
	p.wmu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.exited:
		return nil
	case <-t.C:
	}
	p.kill()
	<-p.exited
	return fmt.Errorf("the engine worker did not stop within %v and was killed", timeout)
}

// stopped is the error of a call the worker's end interrupted. It waits for
// the worker to be reaped, killing it if it lingers.
func (p *proc) stopped() error {
	select {
	case <-p.exited:
	case <-time.After(exitGrace):
		p.kill()
		<-p.exited
	}
	if p.closing.Load() {
		return apperr.New(apperr.Unavailable, "the engine was closed")
	}
	return apperr.New(apperr.Internal, "the engine stopped: %s", p.reason)
}

// notable matches stderr lines that say why a worker died: llama.cpp and
// ggml assertions, C++ exceptions, allocation failures, Go crashes.
var notable = regexp.MustCompile(`GGML_ASSERT|GGML_ABORT|error|failed|terminate called|what\(\)|bad_alloc|out of memory|^fatal|^panic:|^SIG[A-Z]+:`)

// exitReason describes how the worker ended, for "the engine stopped: …".
func (p *proc) exitReason(waitErr error) string {
	if err, ok := p.badFrame.Load().(error); ok {
		return "it sent a malformed message (" + err.Error() + ") and was stopped"
	}
	st := p.cmd.ProcessState
	if st == nil {
		return fmt.Sprintf("it could not be waited for (%v)", waitErr)
	}
	var why string
	ws, _ := st.Sys().(syscall.WaitStatus)
	switch code := st.ExitCode(); {
	case ws.Signaled():
		why = fmt.Sprintf("killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
		if ws.Signal() == syscall.SIGKILL {
			// Say "memory" only when memory is why: a SIGKILL may as well
			// come from a person or a process manager.
			switch oom, near := p.mem.verdict(); {
			case oom:
				why += ", for lack of memory (the system's out-of-memory killer stopped it)"
			case near:
				why += ", perhaps for lack of memory"
			}
		}
	case code > 128 && code <= 128+64:
		why = fmt.Sprintf("exit status %d (%s)", code, syscall.Signal(code-128))
	default:
		why = fmt.Sprintf("exit status %d", code)
	}
	p.tmu.Lock()
	defer p.tmu.Unlock()
	detail, goCrash := "", false
	for _, l := range p.notable {
		// A Go runtime crash (also an abort() in C code) prints "SIGABRT: abort".
		if sig, name, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(sig, "SIG") && !strings.Contains(sig, " ") {
			if !goCrash {
				why += " (" + name + ")"
			}
			goCrash = true
		} else if detail == "" {
			detail = l
		}
	}
	// Without a notable line, the last one may say why, unless it is the end of a Go crash dump.
	if last := len(p.tail) - 1; detail == "" && !goCrash && last >= 0 {
		detail = p.tail[last]
	}
	if len(detail) > 200 {
		detail = detail[:200] + "…"
	}
	if detail != "" {
		why += ": " + detail
	}
	return why
}
