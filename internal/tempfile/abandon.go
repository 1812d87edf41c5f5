package tempfile

import (
	"os"
	"sync"
)

// made is what Abandon needs: the temporary files this process has
// created, and a lock that Commit holds for reading while it moves them
// into place and Abandon takes for good.
var made struct {
	sync.Mutex
	names  []string
	commit sync.RWMutex
}

// remember records a temporary file that Create made.
func remember(name string) {
	made.Lock()
	made.names = append(made.names, name)
	made.Unlock()
}

// Commit runs fn, which moves temporary files into place (renames or
// links them) and removes what is left of them, so that Abandon waits for
// it to finish and never removes part of a set of outputs: a process that
// abandons its work leaves every output as it was before, or every one
// committed. After Abandon, Commit never returns: the process is exiting.
func Commit(fn func() error) error {
	made.commit.RLock()
	defer made.commit.RUnlock()
	return fn()
}

// Abandon removes every temporary file this process has created that is
// still there, once any Commit under way has returned, and blocks every
// later Commit. It is for a process that must exit now, without its work
// (main, when the work does not stop soon after a signal): what is
// removed is only this process's own files, by name; one that a Commit
// moved into place has no temporary name left. It returns how many it
// removed.
func Abandon() int {
	made.commit.Lock() // never unlocked
	made.Lock()
	defer made.Unlock()
	removed := 0
	for _, name := range made.names {
		if os.Remove(name) == nil {
			removed++
		}
	}
	made.names = nil
	return removed
}
