package privacy

import (
	"math"
	"testing"
)

// TestNoise_Distribution draws the noise of many lists and compares it
// with the two-sided geometric distribution: P(0) = (1-a)/(1+a), P(k) =
// P(0) a^|k|, mean 0, variance 2a/(1-a)^2; the same inputs give the same
// draw. The margins are four standard errors.
func TestNoise_Distribution(t *testing.T) {
	const n = 200000
	eps := 0.5
	a := math.Exp(-eps)
	secret := make([]byte, 32)
	counts := map[int64]int{}
	var sum, sq float64
	for i := range n {
		var list [32]byte
		list[0], list[1], list[2] = byte(i), byte(i>>8), byte(i>>16)
		x := noise(secret, "adv", list, [32]byte{}, eps)
		if y := noise(secret, "adv", list, [32]byte{}, eps); y != x {
			t.Fatalf("draw %d: %d, then %d", i, x, y)
		}
		counts[x]++
		sum += float64(x)
		sq += float64(x) * float64(x)
	}
	p0 := (1 - a) / (1 + a)
	for k := int64(-3); k <= 3; k++ {
		want := p0 * math.Pow(a, math.Abs(float64(k)))
		got := float64(counts[k]) / n
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 4*se {
			t.Errorf("P(%d) = %.4f, want %.4f", k, got, want)
		}
	}
	variance := 2 * a / ((1 - a) * (1 - a))
	if mean := sum / n; math.Abs(mean) > 4*math.Sqrt(variance/n) {
		t.Errorf("mean %.3f, want 0", mean)
	}
	if v := sq/n - (sum/n)*(sum/n); math.Abs(v-variance) > 0.05*variance {
		t.Errorf("variance %.2f, want %.2f", v, variance)
	}
	if x := noise(secret, "adv", [32]byte{1}, [32]byte{}, 0); x != 0 {
		t.Errorf("epsilon 0 adds noise: %d", x)
	}
}
