package engine

import (
	"context"
	"errors"
	"time"
)

// Message is an email or an SMS handed to the outbox.
type Message struct {
	// Kind is "email" or "sms".
	Kind    string
	To      []string
	From    string
	Subject string
	Body    string
	HTML    bool
	Unicode bool
}

// Delivery is the outcome of a synchronous send.
type Delivery struct {
	// ID is the tb_outbox row of the message.
	ID int64
	// Sent is true when the server accepted the message.
	Sent bool
	// Permanent is true when the server refused it for good (dead letter).
	Permanent bool
	// Answer is the server's answer (gateway body or SMTP reply), or the
	// error of the attempt.
	Answer string
}

// Messenger delivers messages through the durable outbox (package actions).
type Messenger interface {
	// Enqueue stores m in the outbox in its own transaction and returns its
	// id; workers deliver it with retries.
	Enqueue(ctx context.Context, c *Call, m Message) (int64, error)
	// SendNow stores m in the outbox and delivers it at once, waiting at
	// most wait for the server's answer. A message not accepted in time
	// stays in the outbox and is retried.
	SendNow(ctx context.Context, c *Call, m Message, wait time.Duration) (Delivery, error)
}

// ErrInvalidMessage wraps what is wrong with a message a client asked for
// (a bad address, an empty text); its text is fit for an ERROR answer.
var ErrInvalidMessage = errors.New("invalid message")

// ErrNotConfigured wraps a feature that global config leaves off (no SMTP
// host, no SMS gateway); its text says which options to set.
var ErrNotConfigured = errors.New("not configured")

// Messenger returns the outbox, or nil when the server has none.
func (e *Engine) Messenger() Messenger { return e.messenger }
