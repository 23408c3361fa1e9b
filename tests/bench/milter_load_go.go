// milter_load_go -- a second, independent milter load generator for the
// milter benchmark, built on Debian's golang-github-emersion-go-milter-dev
// (emersion/go-milter's client, not tests/bench/milter_load.c's code), to
// check that milter_load is not what limits the libmilter floor.
//
// It sends the same messages as milter_load: 10 messages per milter
// connection; per message the MAIL, RCPT, DATA macros and commands, 10
// header fields, end of headers, the body in 65535-byte chunks and end
// of message, each stage's macros first ("i" before every header, body
// chunk and end of message, as Postfix's defaults), honouring what the
// milter negotiated (go-milter skips steps and replies the milter said
// it does not want).  Unlike milter_load (and Postfix) go-milter writes
// every packet with its own write(2).
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o milter_load_go \
//	    tests/bench/milter_load_go.go
//	milter_load_go -s SOCKET [-c CONNS] [-n MESSAGES] [-m PER_CONN] [-b BODY]
//
// It prints the same key=value line as milter_load (rate, sigs_per_msg).
// Test tool: exits 1 on any protocol error; not installed.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	milter "github.com/emersion/go-milter"
)

var (
	sock     = flag.String("s", "", "milter socket (unix path)")
	conns    = flag.Int("c", 8, "connections")
	messages = flag.Int64("n", 10000, "messages")
	perConn  = flag.Int("m", 10, "messages per connection")
	bodyLen  = flag.Int("b", 2048, "body bytes")
	auth     = flag.String("a", "k_bench", "{auth_authen}")
	domain   = flag.String("d", "example.com", "sender domain")
)

var (
	next, sigs, skipped int64
	body                []byte
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "milter_load_go: "+format+"\n", a...)
	os.Exit(1)
}

var hdrs = [][2]string{
	{"To", "Rcpt <rcpt@remote.example>"},
	{"Subject", "Benchmark message with a subject of usual length"},
	{"Date", "Fri, 27 Nov 2026 04:00:00 +0000"},
	{"MIME-Version", "1.0"},
	{"Content-Type", "text/plain; charset=utf-8"},
	{"Content-Transfer-Encoding", "8bit"},
	{"X-Mailer", "milter_load"},
	{"Reply-To", "<reply@example.com>"},
}

func must(act *milter.Action, err error, what string) {
	if err != nil {
		die("%s: %v", what, err)
	}
	if act.Code != milter.ActContinue && act.Code != milter.ActSkip {
		die("%s answered %c", what, act.Code)
	}
}

func message(s *milter.ClientSession, id int64) {
	qid := fmt.Sprintf("%08X", id)
	lead := ""
	if s.ProtocolOption(milter.OptHeaderLeadingSpace) {
		lead = " "
	}
	mac := func(c milter.Code, kv ...string) {
		if err := s.Macros(c, kv...); err != nil {
			die("macros: %v", err)
		}
	}
	mac(milter.CodeMail, "i", qid, "{auth_authen}", *auth,
		"{mail_addr}", "sender@"+*domain)
	act, err := s.Mail("sender@"+*domain, nil)
	must(act, err, "MAIL")
	mac(milter.CodeRcpt, "i", qid, "{rcpt_addr}", "rcpt@remote.example")
	act, err = s.Rcpt("<rcpt@remote.example>", nil)
	must(act, err, "RCPT")
	// go-milter 0.3.3 has no DATA command; the milters benchmarked
	// negotiate SMFIP_NODATA, and Postfix still sends the macros.
	mac(milter.CodeData, "i", qid)
	fields := [][2]string{
		{"From", "Sender <sender@" + *domain + ">"},
		{"Message-ID", fmt.Sprintf("<%d.%d@%s>", id, os.Getpid(), *domain)},
	}
	fields = append(fields, hdrs...)
	for _, f := range fields {
		mac(milter.CodeHeader, "i", qid)
		act, err = s.HeaderField(f[0], lead+f[1])
		must(act, err, "header")
	}
	mac(milter.CodeEOH, "i", qid)
	act, err = s.HeaderEnd()
	must(act, err, "end of headers")
	for pos := 0; pos < len(body); pos += milter.MaxBodyChunk {
		end := pos + milter.MaxBodyChunk
		if end > len(body) {
			end = len(body)
		}
		mac(milter.CodeBody, "i", qid)
		act, err = s.BodyChunk(body[pos:end])
		must(act, err, "body")
		if act.Code == milter.ActSkip {
			atomic.AddInt64(&skipped, 1)
			break
		}
	}
	mac(milter.CodeEOB, "i", qid)
	mods, act, err := s.End()
	if err != nil {
		die("end of message: %v", err)
	}
	if act.Code != milter.ActContinue && act.Code != milter.ActAccept {
		die("end of message answered %c", act.Code)
	}
	for _, m := range mods {
		if (m.Code == milter.ActAddHeader || m.Code == milter.ActInsertHeader) &&
			strings.EqualFold(m.HeaderName, "DKIM-Signature") {
			atomic.AddInt64(&sigs, 1)
		}
	}
}

func worker(c *milter.Client, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		s, err := c.Session()
		if err != nil {
			die("session: %v", err)
		}
		if !s.ProtocolOption(milter.OptNoConnect) {
			if err := s.Macros(milter.CodeConn, "j", "mx.bench.example",
				"{daemon_name}", "smtpd"); err != nil {
				die("macros: %v", err)
			}
		}
		act, err := s.Conn("client.bench.example", milter.FamilyInet, 0,
			"127.0.0.1")
		must(act, err, "connect")
		k := 0
		for ; k < *perConn; k++ {
			id := atomic.AddInt64(&next, 1) - 1
			if id >= *messages {
				break
			}
			message(s, id)
		}
		s.Close()
		if k < *perConn {
			return
		}
	}
}

func main() {
	flag.Parse()
	if *sock == "" || *conns < 1 || *messages < 1 || *perConn < 1 {
		die("usage: milter_load_go -s SOCKET [-c conns] [-n messages] " +
			"[-m per_conn] [-b body_bytes]")
	}
	// The body of milter_load: 78-byte text lines with CRLF.
	body = make([]byte, *bodyLen)
	for i := range body {
		switch {
		case i%80 == 78:
			body[i] = '\r'
		case i%80 == 79:
			body[i] = '\n'
		case i%13 == 0:
			body[i] = ' '
		default:
			body[i] = byte('a' + i%26)
		}
	}
	if len(body) >= 2 {
		body[len(body)-2], body[len(body)-1] = '\r', '\n'
	}
	// What Postfix 3.7 offers (milter_load's OFFER_*), no time-outs
	// (go-milter sets a deadline per packet when they are not 0).
	c := milter.NewClientWithOptions("unix", *sock, milter.ClientOptions{
		ActionMask:   0x1ff,
		ProtocolMask: 0x001fffff,
	})
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go worker(c, &wg)
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	fmt.Printf("messages=%d conns=%d body=%d secs=%.2f rate=%.0f/s "+
		"sigs_per_msg=%.2f bodies_skipped=%d\n", *messages, *conns,
		*bodyLen, secs, float64(*messages)/secs,
		float64(sigs)/float64(*messages), skipped)
}
