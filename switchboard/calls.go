package switchboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"mvapi/engine"
	"mvapi/schema"
)

// Calls: with switch=kamailio a worker on every node consumes the rows of
// tb_switchrequests. A node claims a queued row with a conditional UPDATE
// (status 0 -> 1 on that id), so each request runs once across nodes.
//
// p2p and callback (with bnum) bridge two registered users by third-party
// call control (RFC 3725 flow I) from a sipgo user agent through
// Kamailio: INVITE A without SDP, INVITE B with A's offer, ACK B, ACK A
// with B's answer. The request goes 2 ringing, 3 connected, 4 ended (or
// 5 failed, with the reason in result); tb_currentcalls holds the call
// while it lasts and a CDR is written to tb_cdrs when either side hangs
// up (or disccall ends it). Flow I needs nothing of the phones but plain
// INVITE/ACK/BYE, where dlg.bridge_dlg needs REFER support in A's phone:
// that is why mvapi controls the call itself.

// Request statuses of tb_switchrequests (builtin/calls.go has the same).
const (
	reqQueued    = 0
	reqTaken     = 1
	reqRinging   = 2
	reqConnected = 3
	reqFinished  = 4
	reqFailed    = 5
)

// ringFor is how long a party may ring before the call fails.
var ringFor = 30 * time.Second

// pollEvery is how often the worker looks for queued requests.
var pollEvery = 200 * time.Millisecond

// A node renews the updated time of its calls in progress every
// heartbeatEvery; a request left at taken, ringing or connected for
// staleAfter belongs to a node that stopped: any node then closes it as
// failed and removes its tb_currentcalls row.
var (
	heartbeatEvery = 10 * time.Second
	staleAfter     = 2*ringFor + 30*time.Second
)

type worker struct {
	mu     sync.Mutex
	stop   context.CancelFunc
	wg     sync.WaitGroup
	ua     *sipgo.UserAgent
	client *sipgo.Client
	dcc    *sipgo.DialogClientCache
	conn   net.PacketConn
	calls  map[int64]*activeCall // by tb_currentcalls id
}

type activeCall struct {
	hangup chan struct{}
	once   sync.Once
}

// Start starts the call worker on e (server.Stack.Start).
func (k *Kamailio) Start(e *engine.Engine) {
	ctx, stop := context.WithCancel(context.Background())
	k.w.stop = stop
	k.w.calls = map[int64]*activeCall{}
	k.w.wg.Go(func() { k.run(ctx, e) })
}

// Close ends the calls in progress and stops the worker.
func (k *Kamailio) Close() {
	if k.w.stop == nil {
		return
	}
	k.w.stop()
	k.w.wg.Wait()
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	if k.w.ua != nil {
		k.w.client.Close()
		k.w.ua.Close()
		k.w.conn.Close()
	}
}

func (k *Kamailio) run(ctx context.Context, e *engine.Engine) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var swept time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cfg := e.Config()
		if e.Switch(cfg) == nil {
			continue
		}
		if err := k.poll(ctx, cfg); err != nil && ctx.Err() == nil {
			k.log.Warn("switch worker", "err", err)
		}
		if time.Since(swept) >= heartbeatEvery {
			swept = time.Now()
			if err := k.sweep(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("switch worker: stale requests", "err", err)
			}
		}
	}
}

type request struct {
	ID      int64  `db:"id"`
	Kind    string `db:"kind"`
	UserID  int64  `db:"userid"`
	Anum    string `db:"anum"`
	Bnum    string `db:"bnum"`
	Options string `db:"options"`
}

func (k *Kamailio) poll(ctx context.Context, cfg *engine.Config) error {
	var rows []request
	if err := k.db.SelectContext(ctx, &rows, queuedSQL(k.db.Dialect), reqQueued); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Kind == "disccall" && !k.mayDisconnect(ctx, r) {
			continue // the call is another node's
		}
		res, err := k.db.ExecContext(ctx, claimSQL(k.db.Dialect), reqTaken, time.Now().UTC(), r.ID, reqQueued)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another node took it, or waitfor cancelled it
		}
		k.w.wg.Go(func() { k.handle(ctx, cfg, r) })
	}
	return nil
}

func (k *Kamailio) setStatus(r request, st int, result string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := k.db.ExecContext(ctx, statusSQL(k.db.Dialect), st, result, time.Now().UTC(), r.ID); err != nil {
		k.log.Error("switch request status", "id", r.ID, "status", st, "err", err)
	}
}

func (k *Kamailio) handle(ctx context.Context, cfg *engine.Config, r request) {
	var err error
	switch r.Kind {
	case "p2p", "callback":
		if r.Bnum == "" {
			err = errors.New("a callback without bnum needs an IVR, which this switch does not have")
			break
		}
		err = k.bridge(ctx, cfg, r)
	case "disccall":
		err = k.disconnect(ctx, r)
	case "unreg":
		q, _ := url.ParseQuery(r.Options)
		user := r.Anum
		if strings.EqualFold(user, "all") {
			user = ""
		}
		var n int
		if n, err = k.Unregister(ctx, cfg, user, q.Get("ip")); err == nil {
			k.setStatus(r, reqFinished, strconv.Itoa(n)+" registrations removed")
		}
	default:
		err = fmt.Errorf("%s is not supported by the Kamailio switch", r.Kind)
	}
	if err != nil {
		k.log.Info("switch request failed", "id", r.ID, "kind", r.Kind, "err", err)
		k.setStatus(r, reqFailed, err.Error())
	}
}

// sipUA returns the worker's user agent, listening on switchsiplisten.
func (k *Kamailio) sipUA(cfg *engine.Config) (*sipgo.DialogClientCache, error) {
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	if k.w.dcc != nil {
		return k.w.dcc, nil
	}
	addr := strings.TrimSpace(cfg.Get("switchsiplisten"))
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("switchsiplisten %s: %w", addr, err)
	}
	la := conn.LocalAddr().(*net.UDPAddr)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("mvapi"))
	if err != nil {
		conn.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		conn.Close()
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(la.IP.String()), sipgo.WithClientPort(la.Port))
	if err != nil {
		conn.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{User: "mvapi", Host: la.IP.String(), Port: la.Port}}
	dcc := sipgo.NewDialogClientCache(client, contact)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := dcc.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	go srv.ServeUDP(conn)
	k.w.ua, k.w.client, k.w.dcc, k.w.conn = ua, client, dcc, conn
	return dcc, nil
}

func (k *Kamailio) partyURI(cfg *engine.Config, user string) (sip.Uri, error) {
	host, portS, err := net.SplitHostPort(strings.TrimSpace(cfg.Get("kamsip")))
	if err != nil {
		return sip.Uri{}, fmt.Errorf("kamsip: %w", err)
	}
	port, _ := strconv.Atoi(portS)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}, nil
}

// bridge runs one call of r: flow I of RFC 3725, then waits for the end.
func (k *Kamailio) bridge(ctx context.Context, cfg *engine.Config, r request) error {
	for _, u := range []string{r.Anum, r.Bnum} {
		cs, err := k.Contacts(ctx, cfg, u)
		if err != nil {
			return fmt.Errorf("the switch does not answer")
		}
		if len(cs) == 0 {
			return fmt.Errorf("%s is not registered", u)
		}
	}
	dcc, err := k.sipUA(cfg)
	if err != nil {
		return err
	}
	k.setStatus(r, reqRinging, "")
	ua, err := k.partyURI(cfg, r.Anum)
	if err != nil {
		return err
	}
	ub, _ := k.partyURI(cfg, r.Bnum)
	ringA, cancelA := context.WithTimeout(ctx, ringFor)
	defer cancelA()
	a, err := dcc.Invite(ringA, ua, nil)
	if err != nil {
		return fmt.Errorf("INVITE %s: %w", r.Anum, err)
	}
	defer a.Close()
	if err := a.WaitAnswer(ringA, sipgo.AnswerOptions{}); err != nil {
		return fmt.Errorf("%s did not answer: %s", r.Anum, answerError(err))
	}
	offer := a.InviteResponse.Body()
	if len(offer) == 0 {
		a.Ack(ctx)
		a.Bye(ctx)
		return fmt.Errorf("%s answered without an SDP offer", r.Anum)
	}
	ringB, cancelB := context.WithTimeout(ctx, ringFor)
	defer cancelB()
	ct := sip.ContentTypeHeader("application/sdp")
	b, err := dcc.Invite(ringB, ub, offer, &ct)
	if err != nil {
		a.Ack(ctx)
		a.Bye(ctx)
		return fmt.Errorf("INVITE %s: %w", r.Bnum, err)
	}
	defer b.Close()
	if err := b.WaitAnswer(ringB, sipgo.AnswerOptions{}); err != nil {
		a.Ack(ctx)
		a.Bye(ctx)
		return fmt.Errorf("%s did not answer: %s", r.Bnum, answerError(err))
	}
	if err := b.Ack(ctx); err != nil {
		return fmt.Errorf("ACK %s: %w", r.Bnum, err)
	}
	ack := sip.NewRequest(sip.ACK, contactURI(a.InviteResponse, ua))
	ack.SetBody(b.InviteResponse.Body())
	ack.AppendHeader(&ct)
	if err := a.WriteAck(ctx, ack); err != nil {
		b.Bye(ctx)
		return fmt.Errorf("ACK %s: %w", r.Anum, err)
	}
	connected := time.Now().UTC()
	callID := a.InviteRequest.CallID().Value()
	ccID, err := k.insertCurrent(callID, r, connected)
	if err != nil {
		a.Bye(ctx)
		b.Bye(ctx)
		return err
	}
	ac := &activeCall{hangup: make(chan struct{})}
	k.w.mu.Lock()
	k.w.calls[ccID] = ac
	k.w.mu.Unlock()
	k.setStatus(r, reqConnected, "connected: call "+strconv.FormatInt(ccID, 10))

	why := ""
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	for why == "" {
		select {
		case <-a.Context().Done():
			why = r.Anum + " hung up"
		case <-b.Context().Done():
			why = r.Bnum + " hung up"
		case <-ac.hangup:
			why = "disconnected"
		case <-ctx.Done():
			why = "the server stopped"
		case <-beat.C:
			if _, err := k.db.ExecContext(ctx, heartbeatSQL(k.db.Dialect), time.Now().UTC(), r.ID, reqConnected); err != nil && ctx.Err() == nil {
				k.log.Warn("switch call heartbeat", "id", r.ID, "err", err)
			}
		}
	}
	dur := time.Since(connected)
	bye, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.Bye(bye) // no-ops on the side that hung up
	b.Bye(bye)
	k.w.mu.Lock()
	delete(k.w.calls, ccID)
	k.w.mu.Unlock()
	secs := int((dur + 500*time.Millisecond) / time.Second)
	if err := k.endCall(ccID, callID, r, connected, secs); err != nil {
		k.log.Error("switch call end", "id", r.ID, "err", err)
	}
	k.setStatus(r, reqFinished, why+" after "+strconv.Itoa(secs)+" s")
	return nil
}

func answerError(err error) string {
	var de *sipgo.ErrDialogResponse
	var dv sipgo.ErrDialogResponse
	if errors.As(err, &dv) && dv.Res != nil {
		return strconv.Itoa(int(dv.Res.StatusCode)) + " " + dv.Res.Reason
	}
	if errors.As(err, &de) && de.Res != nil {
		return strconv.Itoa(int(de.Res.StatusCode)) + " " + de.Res.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + ringFor.String()
	}
	return err.Error()
}

func contactURI(res *sip.Response, fallback sip.Uri) sip.Uri {
	if c := res.Contact(); c != nil {
		return *c.Address.Clone()
	}
	return fallback
}

func (k *Kamailio) userID(ctx context.Context, name string) int64 {
	var id int64
	if err := k.db.GetContext(ctx, &id, userIDSQL(k.db.Dialect), name); err != nil && !errors.Is(err, sql.ErrNoRows) {
		k.log.Warn("switch: user id", "user", name, "err", err)
	}
	return id
}

func (k *Kamailio) insertCurrent(callID string, r request, started time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var id int64
	err := k.db.QueryRowxContext(ctx, currentSQL(k.db.Dialect), callID, r.UserID, r.Anum, r.Bnum, started).Scan(&id)
	return id, err
}

func (k *Kamailio) endCall(ccID int64, callID string, r request, connected time.Time, secs int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	caller, called := k.userID(ctx, r.Anum), k.userID(ctx, r.Bnum)
	tx, err := k.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, cdrSQL(k.db.Dialect), connected, caller, called, r.Anum, r.Bnum, r.Bnum, secs, callID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, currentDeleteSQL(k.db.Dialect), ccID); err != nil {
		return err
	}
	return tx.Commit()
}

// mayDisconnect: this node takes a disccall when it holds the call, or
// when no node does (the request then fails: no such call).
func (k *Kamailio) mayDisconnect(ctx context.Context, r request) bool {
	id := dbCallID(r)
	k.w.mu.Lock()
	_, mine := k.w.calls[id]
	k.w.mu.Unlock()
	if mine {
		return true
	}
	var n int
	if err := k.db.GetContext(ctx, &n, currentCountSQL(k.db.Dialect), id); err != nil {
		return false
	}
	return n == 0
}

func dbCallID(r request) int64 {
	q, _ := url.ParseQuery(r.Options)
	id, _ := strconv.ParseInt(q.Get("dbcallid"), 10, 64)
	return id
}

func (k *Kamailio) disconnect(ctx context.Context, r request) error {
	id := dbCallID(r)
	k.w.mu.Lock()
	ac := k.w.calls[id]
	k.w.mu.Unlock()
	if ac == nil {
		return fmt.Errorf("no such call: %d", id)
	}
	ac.once.Do(func() { close(ac.hangup) })
	k.setStatus(r, reqFinished, "call "+strconv.FormatInt(id, 10)+" disconnected")
	return nil
}

// sweep closes the requests of nodes that stopped (see staleAfter).
func (k *Kamailio) sweep(ctx context.Context) error {
	var rows []struct {
		ID     int64  `db:"id"`
		Result string `db:"result"`
	}
	cut := time.Now().UTC().Add(-staleAfter)
	if err := k.db.SelectContext(ctx, &rows, staleSQL(k.db.Dialect), reqTaken, reqConnected, cut); err != nil {
		return err
	}
	for _, r := range rows {
		res, err := k.db.ExecContext(ctx, closeStaleSQL(k.db.Dialect), reqFailed, "the node handling it stopped", time.Now().UTC(), r.ID, reqTaken, reqConnected, cut)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		k.log.Warn("switch request of a stopped node closed", "id", r.ID)
		if cc, ok := strings.CutPrefix(r.Result, "connected: call "); ok {
			if id, err := strconv.ParseInt(cc, 10, 64); err == nil {
				if _, err := k.db.ExecContext(ctx, currentDeleteSQL(k.db.Dialect), id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var (
	heartbeatSQL  = schema.Statement("UPDATE tb_switchrequests SET updated = ? WHERE id = ? AND status = ?")
	staleSQL      = schema.Statement("SELECT id, result FROM tb_switchrequests WHERE status BETWEEN ? AND ? AND updated < ?")
	closeStaleSQL = schema.Statement("UPDATE tb_switchrequests SET status = ?, result = ?, updated = ? WHERE id = ? AND status BETWEEN ? AND ? AND updated < ?")
	queuedSQL     = schema.Statement("SELECT id, kind, userid, anum, bnum, options FROM tb_switchrequests WHERE status = ? ORDER BY id")
	claimSQL      = schema.Statement("UPDATE tb_switchrequests SET status = ?, updated = ? WHERE id = ? AND status = ?")
	statusSQL     = schema.Statement("UPDATE tb_switchrequests SET status = ?, result = ?, updated = ? WHERE id = ?")
	userIDSQL     = schema.Statement("SELECT id FROM tb_users WHERE username = ?")
	currentSQL    = schema.StatementFunc(func(d schema.Dialect) string {
		return d.ReturningID("INSERT INTO tb_currentcalls (callid, userid, caller, called, started) VALUES (?, ?, ?, ?, ?)")
	})
	currentDeleteSQL = schema.Statement("DELETE FROM tb_currentcalls WHERE id = ?")
	currentCountSQL  = schema.Statement("SELECT COUNT(*) FROM tb_currentcalls WHERE id = ?")
	cdrSQL           = schema.Statement(`INSERT INTO tb_cdrs (datum, callerid, calledid, caller, called, callednumber, duration, sipcallid)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
)
