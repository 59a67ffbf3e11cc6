package dns

import "math"

// Label scores. A label looks random when at least two signs agree: few
// vowels, a long consonant run, digits mixed into letters, high character
// entropy in a long label, or sheer length. Words, service names and
// hyphenated host names rarely show two.
const (
	minRandomLabel  = 8  // shorter labels are never judged
	longLabel       = 24 // a sign on its own
	entropyMinLen   = 14
	entropyBits     = 3.4
	consonantRunMin = 5
	lowVowelShare   = 0.22
)

// randomLabel reports whether one label (no dots) looks machine-made.
func randomLabel(l []byte) bool {
	if len(l) < minRandomLabel || l[0] == '_' || (len(l) > 4 && string(l[:4]) == "xn--") {
		return false
	}
	var counts [256]uint16
	letters, vowels, digits, run, maxRun, switches := 0, 0, 0, 0, 0, 0
	prevDigit := -1
	for _, c := range l {
		counts[c]++
		isDigit := c >= '0' && c <= '9'
		switch {
		case c >= 'a' && c <= 'z':
			letters++
			if c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' {
				vowels++
				run = 0
			} else {
				run++
				maxRun = max(maxRun, run)
			}
		default:
			run = 0
		}
		if isDigit || (c >= 'a' && c <= 'z') {
			d := 0
			if isDigit {
				digits++
				d = 1
			}
			if prevDigit >= 0 && d != prevDigit {
				switches++
			}
			prevDigit = d
		}
	}
	signs := 0
	if letters >= 6 && float64(vowels) < lowVowelShare*float64(letters) {
		signs++
	}
	if maxRun >= consonantRunMin {
		signs++
	}
	if digits > 0 && letters > 0 && switches >= 3 {
		signs++
	}
	if len(l) >= entropyMinLen && entropy(&counts, len(l)) >= entropyBits {
		signs++
	}
	if len(l) >= longLabel {
		signs++
	}
	return signs >= 2
}

func entropy(counts *[256]uint16, n int) float64 {
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

// randomName reports whether any label of a (sub)domain part looks random.
func randomName(part []byte) bool {
	start := 0
	for i := 0; i <= len(part); i++ {
		if i == len(part) || part[i] == '.' {
			if randomLabel(part[start:i]) {
				return true
			}
			start = i + 1
		}
	}
	return false
}
