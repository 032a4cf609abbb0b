// Package notebook is what the GraphEnas notebooks (GoNB) share: one call per inline figure
// (figures.go), a live view that redraws in place while a search runs and leaves its final state
// saved in the notebook (live.go), retraining progress and the side-by-side table (retrain.go), and
// the set-up and smoke switch (setup.go). The figures are SVG inside HTML, which Jupyter keeps in
// the saved .ipynb and in nbconvert's HTML (unlike JavaScript plots). Outside a notebook every
// display call does nothing.
package notebook
