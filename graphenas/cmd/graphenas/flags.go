package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
)

// Numeric flags that refuse, while the command line is parsed (so before anything is created on
// disk), any value that is not a finite number in its range: the flag package then reports
// `invalid value "NaN" for flag -lr: …`, naming the flag.

// floatValue is a float64 flag bound to *p, in [lo, hi] (lo excluded when loOpen).
type floatValue struct {
	p      *float64
	lo, hi float64
	loOpen bool
}

func (v *floatValue) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

func (v *floatValue) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%s is not a finite number", s)
	}
	if x < v.lo || x > v.hi || (v.loOpen && x == v.lo) {
		return fmt.Errorf("%g is out of range %s", x, v.rangeText())
	}
	*v.p = x
	return nil
}

func (v *floatValue) rangeText() string {
	open := "["
	if v.loOpen {
		open = "("
	}
	return fmt.Sprintf("%s%g, %g]", open, v.lo, v.hi)
}

// intValue is an int flag bound to *p, in [lo, hi].
type intValue struct {
	p      *int
	lo, hi int
}

func (v *intValue) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v *intValue) Set(s string) error {
	x, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	if x < v.lo || x > v.hi {
		return fmt.Errorf("%d is out of range [%d, %d]", x, v.lo, v.hi)
	}
	*v.p = x
	return nil
}

// floatFlag binds a validated float flag to *p, whose current value is the default.
func floatFlag(fs *flag.FlagSet, p *float64, name string, lo, hi float64, usage string) {
	fs.Var(&floatValue{p: p, lo: lo, hi: hi}, name, fmt.Sprintf("%s, in [%g, %g]", usage, lo, hi))
}

// positiveFloatFlag binds a validated float flag in (0, hi] to *p.
func positiveFloatFlag(fs *flag.FlagSet, p *float64, name string, hi float64, usage string) {
	fs.Var(&floatValue{p: p, lo: 0, hi: hi, loOpen: true}, name, fmt.Sprintf("%s, in (0, %g]", usage, hi))
}

// intFlag binds a validated int flag to *p, whose current value is the default.
func intFlag(fs *flag.FlagSet, p *int, name string, lo, hi int, usage string) {
	fs.Var(&intValue{p: p, lo: lo, hi: hi}, name, fmt.Sprintf("%s, in [%d, %d]", usage, lo, hi))
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
