// Package plotting draws GraphEnas's figures as SVG: the architecture DAG, the critic's prediction
// against the realised return, and the search curves. SVG needs no JavaScript, so the figures
// persist in saved notebooks and in stand-alone HTML reports.
package plotting
