package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvDataDir names the environment variable that points at a folder holding the data sets
// (either the files themselves or one sub-folder per data set).
const EnvDataDir = "GRAPHENAS_DATA"

// installHint says how to get each data set.
var installHint = map[string]string{
	FashionMNIST: "sudo apt-get install dataset-fashion-mnist (or put the four IDX files in $" + EnvDataDir + ")",
	CIFAR10:      "download the CIFAR-10 binary version and unpack it into $" + EnvDataDir + "/cifar10",
}

// marker is a file whose presence tells that a folder holds the data set.
var marker = map[string][]string{
	FashionMNIST: {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"},
	CIFAR10:      {"data_batch_1.bin", "cifar-10-batches-bin/data_batch_1.bin"},
}

// SearchDirs returns, in order, the folders where the data set called name is looked for:
// $GRAPHENAS_DATA (and its sub-folder named after the set), the Debian package's folder
// /usr/share/datasets/<name>, and the per-user cache (~/.cache/graphenas/<name>).
func SearchDirs(name string) []string {
	var dirs []string
	if d := os.Getenv(EnvDataDir); d != "" {
		dirs = append(dirs, d, filepath.Join(d, name))
	}
	dirs = append(dirs, filepath.Join("/usr/share/datasets", name))
	if cache, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(cache, "graphenas", name))
	}
	return dirs
}

// FindDir returns the first folder of SearchDirs(name) that holds the data set, or an error that
// lists the places searched and how to install the data.
func FindDir(name string) (string, error) {
	markers, ok := marker[name]
	if !ok {
		return "", fmt.Errorf("data: unknown data set %q (known: %s, %s)", name, FashionMNIST, CIFAR10)
	}
	dirs := SearchDirs(name)
	for _, d := range dirs {
		for _, m := range markers {
			if fileExists(filepath.Join(d, m)) {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("data: %s not found; searched %s; to install it: %s",
		name, strings.Join(dirs, ", "), installHint[name])
}
