package ratelimit

import (
	"testing"
	"time"
)

func TestKeyedBurstThenRate(t *testing.T) {
	var k Keyed
	now := time.Unix(1_000_000, 0)
	for i := range 5 {
		if d := k.Take("a", 2, 5, now); d != 0 {
			t.Fatalf("token %d of the burst: wait %v", i+1, d)
		}
	}
	d := k.Take("a", 2, 5, now)
	if d <= 0 || d > 500*time.Millisecond {
		t.Fatalf("after the burst: wait %v, want up to 500ms", d)
	}
	if RetrySeconds(d) != 1 {
		t.Fatalf("RetrySeconds(%v) = %d", d, RetrySeconds(d))
	}
	if d := k.Take("b", 2, 5, now); d != 0 {
		t.Fatalf("another key: wait %v", d)
	}
	if d := k.Take("a", 2, 5, now.Add(500*time.Millisecond)); d != 0 {
		t.Fatalf("after a refill: wait %v", d)
	}
	if d := k.Take("a", 0, 0, now); d != 0 {
		t.Fatalf("rate 0 is no limit: wait %v", d)
	}
	// A changed rate applies to the existing bucket.
	if d := k.Take("a", 0.1, 1, now.Add(500*time.Millisecond)); d < 5*time.Second {
		t.Fatalf("slower rate: wait %v", d)
	}
}

func TestKeyedIsBounded(t *testing.T) {
	k := Keyed{MaxKeys: 100}
	now := time.Unix(1_000_000, 0)
	for i := range 1000 {
		k.Take(string(rune('a'+i%26))+string(rune(i)), 1, 1, now)
	}
	if n := k.Len(); n > 100 {
		t.Fatalf("%d buckets held, want at most 100", n)
	}
}
