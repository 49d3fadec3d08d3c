// Package retry runs an operation again, with exponential backoff, while a
// caller-supplied predicate says its error is transient.
//
// It follows the shape of client-go's retry.OnError: a [Policy] value with
// exported defaults, a retriable predicate, and an operation. Sleeps honour the
// context, and when attempts run out the last real error is returned, not a
// generic "too many retries".
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Policy describes how often and how far apart an operation is retried.
// The zero value performs exactly one attempt.
type Policy struct {
	// MaxAttempts is the total number of attempts, the first one included.
	// Values below 1 mean 1.
	MaxAttempts int
	// InitialDelay is the wait before the second attempt.
	InitialDelay time.Duration
	// MaxDelay caps a single wait. Zero means no cap.
	MaxDelay time.Duration
	// Multiplier grows the wait after each attempt. Values below 1 mean 1.
	Multiplier float64
	// Jitter adds a random fraction (0..Jitter) of the wait to each wait.
	Jitter float64
}

// DefaultPolicy is a conservative policy for calls to a remote service:
// 5 attempts, waits of 0.5 s, 1 s, 2 s, 4 s with 10 % jitter, each capped at 30 s.
var DefaultPolicy = Policy{
	MaxAttempts:  5,
	InitialDelay: 500 * time.Millisecond,
	MaxDelay:     30 * time.Second,
	Multiplier:   2,
	Jitter:       0.1,
}

// NoRetry performs a single attempt.
var NoRetry = Policy{MaxAttempts: 1}

// Delay returns the wait before attempt number attempt+1, where attempt
// counts completed attempts starting at 1. It does not include jitter.
func (p Policy) Delay(attempt int) time.Duration {
	if attempt < 1 {
		return 0
	}
	m := p.Multiplier
	if m < 1 {
		m = 1
	}
	d := float64(p.InitialDelay)
	for i := 1; i < attempt; i++ {
		d *= m
		if p.MaxDelay > 0 && d >= float64(p.MaxDelay) {
			return p.MaxDelay
		}
	}
	if p.MaxDelay > 0 && d > float64(p.MaxDelay) {
		return p.MaxDelay
	}
	return time.Duration(d)
}

func (p Policy) attempts() int {
	if p.MaxAttempts < 1 {
		return 1
	}
	return p.MaxAttempts
}

func (p Policy) wait(attempt int) time.Duration {
	d := p.Delay(attempt)
	if p.Jitter > 0 && d > 0 {
		d += time.Duration(rand.Float64() * p.Jitter * float64(d))
	}
	return d
}

// Do calls fn until it succeeds, retriable reports its error as permanent,
// the policy runs out of attempts, or ctx is done. fn receives the attempt
// number, starting at 1. A nil retriable retries every error.
//
// When attempts run out, Do returns the last error from fn unchanged. When ctx
// ends first, it returns an error that matches both ctx.Err() and the last
// error from fn with [errors.Is].
func Do(ctx context.Context, p Policy, retriable func(error) bool, fn func(ctx context.Context, attempt int) error) error {
	n := p.attempts()
	var last error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if last != nil {
				return errors.Join(err, last)
			}
			return err
		}
		last = fn(ctx, attempt)
		if last == nil {
			return nil
		}
		if attempt >= n || ctx.Err() != nil || (retriable != nil && !retriable(last)) {
			if ctx.Err() != nil && !errors.Is(last, ctx.Err()) {
				return errors.Join(ctx.Err(), last)
			}
			return last
		}
		if err := Sleep(ctx, p.wait(attempt)); err != nil {
			return errors.Join(err, last)
		}
	}
}

// Sleep waits for d or until ctx is done, whichever comes first. It returns
// ctx.Err() if the context ended the wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
