package notebook

import (
	"os"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
)

// Smoke reports whether GRAPHENAS_SMOKE=1 asks notebooks for their smoke configuration: the same
// cells on a small data subset and few steps, finishing in about two minutes (CI runs it).
func Smoke() bool { return os.Getenv("GRAPHENAS_SMOKE") == "1" }

// Dir returns the notebook's folder (GoNB's $GONB_DIR), or the working directory outside GoNB.
func Dir() string {
	if d := os.Getenv("GONB_DIR"); d != "" {
		return d
	}
	d, _ := os.Getwd()
	return d
}

// Setup starts the back-end (the library's automatic choice, see graphenas/backend) and loads a
// data set from the standard places, keeping only the first trainImages/testImages images when
// those are positive (smoke configurations).
func Setup(dataset string, trainImages, testImages int) (compute.Backend, *data.Dataset, error) {
	ds, err := data.Load(dataset, "")
	if err != nil {
		return nil, nil, err
	}
	b, _, err := backend.New()
	if err != nil {
		return nil, nil, err
	}
	return b, ds.Head(trainImages, testImages), nil
}
