package tabular

import (
	"bytes"
	"math"
	"testing"
)

// The NAS-Bench-201 CSV reader is fuzzed: it returns a table of finite accuracies or an error,
// never a panic. The seed corpus (the shipped table's first rows, and damaged ones) runs as a
// normal test.

func FuzzRead(f *testing.F) {
	head := "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString\n"
	row := "85.1,60.2,30.3,|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|,x\n"
	f.Add([]byte(head + row))
	f.Add([]byte(head + "NaN,1,1," + row[9:]))
	f.Add([]byte(head + "1,2\n"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tab, err := Read(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for d := range tab.acc {
			for _, v := range tab.acc[d] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("a non-finite accuracy accepted from %q", raw)
				}
			}
		}
	})
}
