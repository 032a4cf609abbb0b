package groundtruth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// tinyManifest is a table of 6 architectures, the first 2 on 3 seeds, each trained for a few
// batches of 8×8 generated images.
func tinyManifest() Manifest {
	return Manifest{Recipe: Recipe{Nodes: 5, LayersPerStage: 2, Channels: 2, StemStride: 2, BatchSize: 16, Epochs: 0.2, LearningRate: 0.05},
		Archs: 6, SampleSeed: 1, Repeated: 2, Seeds: 3}
}

func tinyData() *data.Dataset { return data.SyntheticDataset(160, 48, 8, 8, 1, 4, 3) }

// The draw is uniform over connected architectures, distinct, and a prefix of any longer draw.
func TestSampleIsAStablePrefixOfDistinctConnectedArchitectures(t *testing.T) {
	long, short := Sample(200, 5, 1), Sample(20, 5, 1)
	seen := map[string]bool{}
	edges, ops := 0, map[string]int{}
	for i, a := range long {
		if !a.Connected() || seen[a.Key()] {
			t.Fatalf("architecture %d (%v) is disconnected or drawn twice", i, a)
		}
		seen[a.Key()] = true
		edges += len(a.Edges())
		for j := 1; j < 4; j++ {
			ops[a.Op(j).String()]++
		}
		if i < len(short) && !short[i].Equal(a) {
			t.Fatalf("architecture %d differs between draws of 20 and 200", i)
		}
	}
	// Each of the 10 edges is present with probability ½, a little more given a path: about 5.5 of 10.
	if mean := float64(edges) / 200; mean < 4.8 || mean > 6.5 {
		t.Errorf("mean edge count %.2f", mean)
	}
	if len(ops) != 9 {
		t.Errorf("ops drawn: %v", ops)
	}
}

// Make trains every job once; stopped part-way (as a kill would) and started again, it trains only
// what was not finished, and the table it collects is the same as one made in one go.
func TestMakeResumesAndCollects(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := tinyData()
	m := tinyManifest()
	dir := t.TempDir()
	n, err := Make(b, ds, MakeConfig{Dir: dir, Manifest: m, Workers: 2})
	if err != nil || n != len(m.Jobs()) || n != 10 {
		t.Fatalf("trained %d of %d jobs: %v", n, len(m.Jobs()), err)
	}
	// A job whose result was lost (killed before writing it) is trained again, and only it.
	os.Remove(resultPath(dir, Job{3, 1}))
	var events int
	n, err = Make(b, ds, MakeConfig{Dir: dir, Manifest: m, Progress: func(e progress.Event) { events++ }})
	if err != nil || n != 1 || events != 1 {
		t.Fatalf("after losing one result: trained %d, %d events, %v", n, events, err)
	}
	tab, err := Collect(dir)
	if err != nil || len(tab.Entries) != 10 || tab.Check() != nil {
		t.Fatalf("collect: %v, %d entries", err, len(tab.Entries))
	}
	s := tab.Summarize()
	if s.Archs != 6 || s.Repeated != 2 || s.SeedStd <= 0 || s.Min > s.Median || s.Median > s.Max || s.NearBest < 1 {
		t.Errorf("summary %+v", s)
	}
	// The CSV form reads back to the same table, its facts checked.
	var csv bytes.Buffer
	if err := tab.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(tab.Manifest)
	back, err := ReadTable(man, csv.Bytes())
	if err != nil || len(back.Entries) != 10 || back.Entries[4].TestAccuracy != round4(tab.Entries[4].TestAccuracy) {
		t.Fatalf("read back: %v", err)
	}
	// Another recipe in the same directory is refused; a larger table of the same one extends it.
	other := m
	other.Recipe.Epochs = 0.3
	if _, err := Make(b, ds, MakeConfig{Dir: dir, Manifest: other}); err == nil || !strings.Contains(err.Error(), "holds another table") {
		t.Errorf("another recipe: %v", err)
	}
	more := m
	more.Archs = 7
	if n, err := Make(b, ds, MakeConfig{Dir: dir, Manifest: more}); err != nil || n != 1 {
		t.Errorf("one architecture more: trained %d, %v", n, err)
	}
	more.Seeds = 4
	if n, err := Make(b, ds, MakeConfig{Dir: dir, Manifest: more}); err != nil || n != 2 {
		t.Errorf("a fourth seed for the 2 repeated architectures: trained %d, %v", n, err)
	}
	if tab, _ := Collect(dir); len(tab.Entries) != 13 || tab.Manifest.Seeds != 4 || tab.Manifest.Archs != 7 {
		t.Errorf("extended table: %d entries, manifest %+v", len(tab.Entries), tab.Manifest)
	}
}

func round4(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 4, 64), 64)
	return f
}

// A table whose entries are not what its manifest says is refused: another architecture at an
// index, an entry twice, an accuracy out of range.
func TestReadTableChecksItsFacts(t *testing.T) {
	m := tinyManifest()
	man, _ := json.Marshal(m)
	archs := Sample(m.Archs, m.Recipe.Nodes, m.SampleSeed)
	row := func(i int, arch string, seed, acc string) string {
		return strconv.Itoa(i) + "," + arch + "," + seed + "," + acc + ",0.5,100,1.0\n"
	}
	head := strings.Join(csvHeader, ",") + "\n"
	for name, body := range map[string]string{
		"wrong architecture": row(0, archs[1].String(), "1", "0.5"),
		"twice":              row(0, archs[0].String(), "1", "0.5") + row(0, archs[0].String(), "1", "0.6"),
		"accuracy 1.5":       row(0, archs[0].String(), "1", "1.5"),
		"seed 3 of arch 4":   row(4, archs[4].String(), "3", "0.5"),
	} {
		if _, err := ReadTable(man, []byte(head+body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ReadTable(man, []byte(head+row(0, archs[0].String(), "1", "0.5"))); err != nil {
		t.Errorf("a good row: %v", err)
	}
}

// TestHelperShard is not a test: TestShardsOverASharedDirectory runs it in child processes, each
// making one shard of a table.
func TestHelperShard(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_TEST_SHARD_DIR")
	if dir == "" {
		t.Skip("helper")
	}
	shard, _ := strconv.Atoi(os.Getenv("GRAPHENAS_TEST_SHARD"))
	b, _ := backend.NewGo()
	if _, err := Make(b, tinyData(), MakeConfig{Dir: dir, Manifest: tinyManifest(), Shard: shard, Shards: 3}); err != nil {
		t.Fatal(err)
	}
}

// Three processes, one shard each, over one directory (as a job array over a shared folder would
// run them) make the whole table, each job once, the same as one process alone.
func TestShardsOverASharedDirectory(t *testing.T) {
	dir := t.TempDir()
	var procs []*exec.Cmd
	for shard := 0; shard < 3; shard++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperShard$")
		cmd.Env = append(os.Environ(), "GRAPHENAS_TEST_SHARD_DIR="+dir, "GRAPHENAS_TEST_SHARD="+strconv.Itoa(shard))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	for _, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	sharded, err := Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	alone := t.TempDir()
	b, _ := backend.NewGo()
	if _, err := Make(b, tinyData(), MakeConfig{Dir: alone, Manifest: tinyManifest()}); err != nil {
		t.Fatal(err)
	}
	whole, _ := Collect(alone)
	if len(sharded.Entries) != 10 || len(whole.Entries) != 10 {
		t.Fatalf("%d entries sharded, %d alone", len(sharded.Entries), len(whole.Entries))
	}
	for i := range whole.Entries {
		if a, b := sharded.Entries[i], whole.Entries[i]; a.TestAccuracy != b.TestAccuracy || a.Seed != b.Seed || !a.Arch.Equal(b.Arch) {
			t.Errorf("entry %d: sharded %+v, alone %+v", i, a, b)
		}
	}
	results, _ := filepath.Glob(filepath.Join(dir, resultsDir, "*.json"))
	if len(results) != 10 {
		t.Errorf("%d result files", len(results))
	}
}

// TestHelperKilledJob is not a test: TestKilledJobContinuesFromItsCheckpoint runs it in a child
// process and kills it part-way through its one job.
func TestHelperKilledJob(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_TEST_KILL_DIR")
	if dir == "" {
		t.Skip("helper")
	}
	b, _ := backend.NewGo()
	Make(b, tinyData(), MakeConfig{Dir: dir, Manifest: longJob(), CheckpointEvery: time.Millisecond})
}

// longJob is a table of one architecture trained long enough to be killed part-way.
func longJob() Manifest {
	m := tinyManifest()
	m.Archs, m.Repeated, m.Seeds, m.Recipe.Epochs = 1, 0, 1, 30
	return m
}

// A job killed (SIGKILL) during its training continues from its checkpoint when Make runs again:
// the result is the one an uninterrupted job gives, to the bit.
func TestKilledJobContinuesFromItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperKilledJob$")
	cmd.Env = append(os.Environ(), "GRAPHENAS_TEST_KILL_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckptFile := filepath.Join(dir, workDir, Job{0, 1}.Name()+".ckpt")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ckptFile); err == nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // well into the training
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(resultPath(dir, Job{0, 1})); err == nil {
		t.Skip("the job finished before it could be killed")
	}
	if _, err := os.Stat(ckptFile); err != nil {
		t.Fatalf("no checkpoint after the kill: %v", err)
	}
	b, _ := backend.NewGo()
	ds := tinyData()
	if n, err := Make(b, ds, MakeConfig{Dir: dir, Manifest: longJob()}); err != nil || n != 1 {
		t.Fatalf("make after the kill: %d, %v", n, err)
	}
	m := longJob()
	whole, err := retrain.Run(b, ds, Sample(1, m.Recipe.Nodes, m.SampleSeed)[0], m.Recipe.Retrain(1))
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := Collect(dir)
	if len(tab.Entries) != 1 || tab.Entries[0].TestAccuracy != whole.TestAccuracy || tab.Entries[0].TestLoss != whole.TestLoss {
		t.Errorf("resumed job %+v, uninterrupted %v / %v", tab.Entries, whole.TestAccuracy, whole.TestLoss)
	}
	if _, err := os.Stat(ckptFile); !os.IsNotExist(err) {
		t.Errorf("the finished job left its checkpoint: %v", err)
	}
}

// The job files in docs/jobs run the shards a scheduler's job array gives them: the Slurm script
// turns task i of n into --shard i/n (here with echo standing in for graphenas), and the Indexed
// Job passes its completion index out of as many as it has completions.
func TestJobFiles(t *testing.T) {
	cmd := exec.Command("bash", "../../docs/jobs/groundtruth-slurm.sh")
	cmd.Env = append(os.Environ(), "TABLE=/shared/table", "GRAPHENAS=echo", "SLURM_ARRAY_TASK_ID=7",
		"SLURM_ARRAY_TASK_MIN=4", "SLURM_ARRAY_TASK_COUNT=5")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "groundtruth --out /shared/table") || !strings.Contains(string(out), "--shard 3/5") {
		t.Errorf("slurm task 7 of 4–8: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile("../../docs/jobs/groundtruth-k8s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"completionMode: Indexed", "completions: 16", `--shard "${JOB_COMPLETION_INDEX}/16"`, "ReadWriteMany"} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("the Indexed Job lacks %q", want)
		}
	}
}

// Head keeps the first architectures with all their seeds; Percentile places an accuracy among the
// architectures' means (ties count half).
func TestHeadAndPercentile(t *testing.T) {
	m := tinyManifest()
	archs := Sample(m.Archs, m.Recipe.Nodes, m.SampleSeed)
	tab := &Table{Manifest: m}
	for i, acc := range []float64{0.5, 0.6, 0.7, 0.8} {
		tab.Entries = append(tab.Entries, Entry{Index: i, Arch: archs[i], Seed: 1, TestAccuracy: acc, Params: 1})
	}
	tab.Entries = append(tab.Entries, Entry{Index: 0, Arch: archs[0], Seed: 2, TestAccuracy: 0.7, Params: 1}) // arch 0: mean 0.6
	h := tab.Head(2)
	if len(h.Entries) != 3 || h.Manifest.Archs != 2 || h.Check() != nil {
		t.Errorf("head: %d entries, manifest %+v, %v", len(h.Entries), h.Manifest, h.Check())
	}
	for acc, want := range map[float64]float64{0.55: 0, 0.6: 25, 0.65: 50, 0.75: 75, 0.9: 100} {
		if got := tab.Percentile(acc); got != want {
			t.Errorf("percentile of %.2f: %.1f, want %.1f", acc, got, want)
		}
	}
}

// The table shipped with the package is what its README says: at least 150 architectures of the
// uniform draw, at least 30 of them on 3 seeds, each entry checked (Load), and the summary the
// README states.
func TestShippedTable(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	s := tab.Summarize()
	if s.Archs < 150 || s.Repeated < 30 || tab.Manifest.Recipe != DefaultRecipe() || tab.Manifest.Seeds < 3 {
		t.Fatalf("shipped table: %d architectures, %d repeated, %d seeds, recipe %s", s.Archs, s.Repeated, tab.Manifest.Seeds, tab.Manifest.Recipe)
	}
	for _, tr := range tab.Truths() {
		if tr.Index < tab.Manifest.Repeated && len(tr.Accuracies) != tab.Manifest.Seeds {
			t.Errorf("architecture %d has %d seeds, want %d", tr.Index, len(tr.Accuracies), tab.Manifest.Seeds)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	facts := fmt.Sprintf("%d architectures, %d of them on %d seeds; test accuracy min %.2f%%, median %.2f%%, max %.2f%%; seed-to-seed standard deviation %.2f points; %d architectures within two of it of the best",
		s.Archs, s.Repeated, tab.Manifest.Seeds, 100*s.Min, 100*s.Median, 100*s.Max, 100*s.SeedStd, s.NearBest)
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), facts) {
		t.Errorf("README.md does not state the table's facts:\n%s", facts)
	}
}

// The proxy recipe ranks architectures as a recipe 2× wider and 4× longer does: Kendall τ 0.788
// on the 24 architectures both trained (testdata/long-24.*, the README's and RESULTS.md's figure).
func TestProxyRanksLikeTheLongRecipe(t *testing.T) {
	man, err := os.ReadFile("testdata/long-24.json")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := os.ReadFile("testdata/long-24.csv")
	if err != nil {
		t.Fatal(err)
	}
	long, err := ReadTable(man, rows)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	seed1 := map[string]float64{}
	for _, e := range proxy.Entries {
		if e.Seed == 1 {
			seed1[e.Arch.Key()] = e.TestAccuracy
		}
	}
	var x, y []float64
	for _, e := range long.Entries {
		if v, ok := seed1[e.Arch.Key()]; ok {
			x, y = append(x, v), append(y, e.TestAccuracy)
		}
	}
	tau, n := stats.KendallTau(x, y)
	if n != 24 || fmt.Sprintf("%.3f", tau) != "0.788" {
		t.Errorf("τ between the proxy and the long recipe %.3f on %d architectures, want 0.788 on 24", tau, n)
	}
}
