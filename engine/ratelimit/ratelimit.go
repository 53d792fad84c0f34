// Package ratelimit keeps token buckets by key (a client IP, a user, an
// entry) in memory, for the engine's rate limits. It knows nothing of
// requests: the engine picks the keys, rates and bursts.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds the buckets a Keyed holds (see Keyed).
const DefaultMaxKeys = 100_000

// Keyed is a set of token buckets by key. Buckets that are full again cost
// nothing to forget, so when MaxKeys are held the full ones are dropped;
// if that is not enough (a flood from more keys than MaxKeys within a
// refill time) all are, which lets those keys start with a full burst
// again rather than letting memory grow. The zero value is ready to use.
type Keyed struct {
	// MaxKeys is the most buckets kept; 0 means DefaultMaxKeys.
	MaxKeys int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// Take takes one token from key's bucket, which refills perSecond tokens a
// second up to burst. It returns 0 when the token was there, else how long
// until one is (nothing is taken then). perSecond <= 0 means no limit.
func (k *Keyed) Take(key string, perSecond float64, burst int, now time.Time) time.Duration {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return 0
	}
	burst = max(burst, 1)
	limit := rate.Limit(perSecond)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.buckets == nil {
		k.buckets = map[string]*rate.Limiter{}
	}
	b, ok := k.buckets[key]
	if !ok {
		k.evict(now)
		b = rate.NewLimiter(limit, burst)
		k.buckets[key] = b
	} else if b.Limit() != limit || b.Burst() != burst { // the options changed
		b.SetLimitAt(now, limit)
		b.SetBurstAt(now, burst)
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// evict makes room for one more bucket.
func (k *Keyed) evict(now time.Time) {
	most := k.MaxKeys
	if most <= 0 {
		most = DefaultMaxKeys
	}
	if len(k.buckets) < most {
		return
	}
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= most {
		clear(k.buckets)
	}
}

// Len is the number of buckets held.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// RetrySeconds is a wait rounded up to whole seconds, at least 1, as
// answers and Retry-After say it.
func RetrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
