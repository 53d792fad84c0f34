package builtin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
)

// cccharge charges a card through an HTTP payment gateway (global config
// ccgatewayurl) and adds the approved amount to the caller's credit. The
// card data goes to the gateway only: it is never stored or logged.

func registerCCCharge(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "cccharge", Access: engine.UserAPI, Params: []string{"cardnum", "expireyear", "expmonth", "ccv2", "ammount"},
		Handler: ccCharge, NeedsUser: true,
		Doc: "Card payment through the gateway of ccgatewayurl; the approved amount is added to the credit.",
	})
}

// gatewayRequest is what cccharge posts to the gateway as JSON.
type gatewayRequest struct {
	Reference  string `json:"reference"`
	Amount     string `json:"amount"`
	Currency   string `json:"currency"`
	CardNumber string `json:"cardnumber"`
	ExpMonth   int    `json:"expmonth"`
	ExpYear    int    `json:"expyear"`
	CVV        string `json:"cvv"`
	UserID     int64  `json:"userid"`
	Username   string `json:"username"`
}

// gatewayAnswer is the gateway's JSON answer.
type gatewayAnswer struct {
	Approved      bool   `json:"approved"`
	TransactionID string `json:"transactionid"`
	Reason        string `json:"reason"`
}

func ccCharge(ctx context.Context, c *engine.Call) (format.Result, error) {
	gw := strings.TrimSpace(c.Config.Get("ccgatewayurl"))
	if gw == "" {
		return engine.Failf(engine.KindNotSupported, "cccharge: no payment gateway configured (global config ccgatewayurl)"), nil
	}
	if u, err := url.Parse(gw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.Engine.Logger().Error("cccharge: bad ccgatewayurl", "url", gw)
		return engine.Failf(engine.KindUnavailable, "cccharge: the payment gateway is misconfigured; contact support"), nil
	}
	req, err := cardRequest(c, time.Now())
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	amount, _ := strconv.ParseFloat(req.Amount, 64)
	// A retry of a committed charge (same reqid) answers as the first
	// one did, without charging the card again.
	k, err := requestKey(c)
	if err != nil {
		return format.Result{}, err
	}
	if k.id != "" {
		if res, ok, err := k.stored(ctx, c.DB()); err != nil || ok {
			return res, err
		}
	}
	ans, err := postGateway(ctx, c, gw, req)
	if err != nil {
		c.Engine.Logger().Error("cccharge: gateway", "reference", req.Reference, "err", err)
		return engine.Failf(engine.KindUnavailable, "payment failed: the payment gateway could not be reached or answered badly (reference %s)", req.Reference), nil
	}
	if !ans.Approved {
		reason := strings.TrimSpace(ans.Reason)
		if reason == "" {
			reason = "no reason given"
		}
		return engine.Failf(engine.KindDenied, "payment declined: %s", clipText(reason, 120)), nil
	}
	tid := ans.TransactionID
	if tid == "" {
		tid = req.Reference
	}
	u, db := c.User, c.DB()
	res, err := moneyTx(ctx, c, func(tx *sqlx.Tx, reqid string) (string, error) {
		if err := changeCredit(ctx, tx, db.Dialect, u.ID, amount); err != nil {
			return "", err
		}
		if err := logCredit(ctx, tx, db.Dialect, u.ID, amount, "cccharge", 0, tid, reqid); err != nil {
			return "", err
		}
		credit, err := creditOf(ctx, tx, db.Dialect, u.ID)
		return "charged " + money(amount) + " " + u.Currency + " (transaction " + tid + "); your credit is " + money(credit), err
	})
	if engine.ErrorKind(err) == engine.KindUnavailable {
		c.Engine.Logger().Error("cccharge: approved, outcome of the credit unknown", "user", u.ID, "transaction", tid, "amount", amount, "err", err)
		return format.Result{}, err
	}
	if err != nil {
		c.Engine.Logger().Error("cccharge: approved but not credited", "user", u.ID, "transaction", tid, "amount", amount, "err", err)
		return engine.Failf(engine.KindInternal, "payment approved (transaction %s) but the credit could not be added: contact support with this id", tid), nil
	}
	return res, nil
}

// cardRequest validates the card parameters into a gateway request.
func cardRequest(c *engine.Call, now time.Time) (gatewayRequest, error) {
	var r gatewayRequest
	card := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, c.Param("cardnum"))
	if !luhnValid(card) {
		return r, errors.New("bad cardnum: not a valid card number")
	}
	month, err := strconv.Atoi(strings.TrimSpace(c.Param("expmonth")))
	if err != nil || month < 1 || month > 12 {
		return r, errors.New("bad expmonth: use 1 to 12")
	}
	year, err := strconv.Atoi(strings.TrimSpace(c.Param("expireyear")))
	if err != nil || year < 0 || year > 9999 {
		return r, errors.New("bad expireyear: use a year such as 2030")
	}
	if year < 100 {
		year += 2000
	}
	if time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC).Before(now) {
		return r, errors.New("card expired")
	}
	cvv := strings.TrimSpace(c.Param("ccv2"))
	if len(cvv) < 3 || len(cvv) > 4 || strings.Trim(cvv, "0123456789") != "" {
		return r, errors.New("bad ccv2: use the 3 or 4 digits on the card")
	}
	max, _ := strconv.ParseFloat(c.Config.Get("ccmaxamount"), 64)
	amount, err := parseAmount("ammount", firstParam(c, "ammount", "amount", "credit"), max)
	if err != nil {
		return r, err
	}
	ref := make([]byte, 8)
	if _, err := rand.Read(ref); err != nil {
		return r, fmt.Errorf("internal error, try again later")
	}
	return gatewayRequest{
		Reference: "mvapi-" + hex.EncodeToString(ref), Amount: strconv.FormatFloat(amount, 'f', 2, 64),
		Currency: c.User.Currency, CardNumber: card, ExpMonth: month, ExpYear: year, CVV: cvv,
		UserID: c.User.ID, Username: c.User.Username,
	}, nil
}

// luhnValid checks a card number of 12 to 19 digits with the Luhn checksum.
func luhnValid(s string) bool {
	if len(s) < 12 || len(s) > 19 {
		return false
	}
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if (len(s)-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// postGateway posts the request and decodes the gateway's answer.
func postGateway(ctx context.Context, c *engine.Call, gw string, r gatewayRequest) (gatewayAnswer, error) {
	var ans gatewayAnswer
	body, err := json.Marshal(r)
	if err != nil {
		return ans, err
	}
	timeout := time.Duration(c.Config.Int("ccgatewaytimeout")) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, gw, bytes.NewReader(body))
	if err != nil {
		return ans, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if key := c.Config.Get("ccgatewaykey"); key != "" {
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return ans, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return ans, err
	}
	if resp.StatusCode/100 != 2 {
		return ans, fmt.Errorf("gateway answered HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return ans, fmt.Errorf("gateway answer is not JSON: %w", err)
	}
	return ans, nil
}
