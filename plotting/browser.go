package plotting

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// FindChromium returns the path of a Chromium or Chrome binary, or an error that says how to
// install one (Debian: apt-get install chromium, or GRAPHENAS_SETUP_CHROMIUM=1 bash docker/setup.sh).
func FindChromium() (string, error) {
	if p := os.Getenv("GRAPHENAS_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("plotting: no Chromium found (looked for chromium, chromium-browser, google-chrome on PATH and $GRAPHENAS_CHROMIUM); install it with: sudo apt-get install chromium")
}

// chromium runs headless Chromium on a local HTML file with extra flags and returns its stdout.
func chromium(htmlPath string, timeout time.Duration, flags ...string) ([]byte, error) {
	bin, err := FindChromium()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "graphenas-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + profile, "--virtual-time-budget=2000"}, flags...)
	args = append(args, "file://"+abs)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	if err != nil {
		return nil, fmt.Errorf("plotting: %s on %s: %w\n%s", bin, htmlPath, err, stderr)
	}
	return out, nil
}

// Screenshot renders a local HTML file with headless Chromium to a PNG of width × height pixels.
func Screenshot(htmlPath, pngPath string, width, height int) error {
	abs, err := filepath.Abs(pngPath)
	if err != nil {
		return err
	}
	if _, err := chromium(htmlPath, time.Minute, fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+abs); err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("plotting: Chromium wrote no screenshot: %w", err)
	}
	return nil
}

// DumpDOM loads a local HTML file in headless Chromium, runs its scripts and returns the
// resulting document.
func DumpDOM(htmlPath string) (string, error) {
	out, err := chromium(htmlPath, time.Minute, "--dump-dom")
	return string(out), err
}

// svgSize reads the width and height attributes of the first <svg> element.
var svgSize = regexp.MustCompile(`<svg[^>]*?\swidth="([0-9.]+)"[^>]*?\sheight="([0-9.]+)"`)

// WriteFigurePNG renders one SVG figure alone to a PNG (for READMEs and slides); a zero width or
// height is taken from the SVG's own size.
func WriteFigurePNG(svg, pngPath string, width, height int) error {
	if m := svgSize.FindStringSubmatch(svg); m != nil && (width == 0 || height == 0) {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		width, height = int(math.Ceil(w)), int(math.Ceil(h))
	}
	if width <= 0 || height <= 0 {
		return fmt.Errorf("plotting: no size for the PNG (give one, or an SVG with width and height)")
	}
	dir, err := os.MkdirTemp("", "graphenas-figure-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "figure.html")
	doc := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0;background:white}</style></head><body>" + svg + "</body></html>"
	if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
		return err
	}
	return Screenshot(page, pngPath, width, height)
}
