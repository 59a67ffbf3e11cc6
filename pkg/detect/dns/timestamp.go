package dns

import "time"

// timeParser parses RFC 3339 timestamps by hand, remembering the last
// second seen: log lines of one second share everything but the fraction.
type timeParser struct {
	key  [32]byte
	klen int
	base time.Time
}

// parse reads an RFC 3339 time at the start of b ("2026-11-25T02:00:00Z",
// with an optional fraction and a Z or ±hh:mm zone) and returns it with
// the bytes used.
func (p *timeParser) parse(b []byte) (time.Time, int, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	i := 19
	frac, fracDigits := 0, 0
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if fracDigits < 9 {
				frac = frac*10 + int(b[i]-'0')
				fracDigits++
			}
			i++
		}
		if fracDigits == 0 {
			return time.Time{}, 0, false
		}
	}
	for d := fracDigits; d < 9; d++ {
		frac *= 10
	}
	zoneStart := i
	if i >= len(b) {
		return time.Time{}, 0, false
	}
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if i+6 > len(b) || b[i+3] != ':' {
			return time.Time{}, 0, false
		}
		i += 6
	default:
		return time.Time{}, 0, false
	}
	// The cache key is the date, the time to the second and the zone.
	klen := 19 + (i - zoneStart)
	if klen <= len(p.key) && p.klen == klen && string(p.key[:19]) == string(b[:19]) && string(p.key[19:klen]) == string(b[zoneStart:i]) {
		return p.base.Add(time.Duration(frac)), i, true
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, 0, false
	}
	offset := 0
	if z := b[zoneStart]; z == '+' || z == '-' {
		zh, okh := num(b[zoneStart+1 : zoneStart+3])
		zm, okm := num(b[zoneStart+4 : zoneStart+6])
		if !okh || !okm || zh > 23 || zm > 59 {
			return time.Time{}, 0, false
		}
		offset = (zh*60 + zm) * 60
		if z == '-' {
			offset = -offset
		}
	}
	base := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
	if klen <= len(p.key) {
		copy(p.key[:19], b[:19])
		copy(p.key[19:klen], b[zoneStart:i])
		p.klen = klen
		p.base = base
	}
	return base.Add(time.Duration(frac)), i, true
}
