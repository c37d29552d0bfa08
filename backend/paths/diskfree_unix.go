//go:build unix

package paths

import "golang.org/x/sys/unix"

// DiskFree is the space an unprivileged program can still write in dir.
func DiskFree(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// DiskSize is the size of the file system that holds dir.
func DiskSize(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1, err
	}
	return int64(st.Blocks) * int64(st.Bsize), nil
}
