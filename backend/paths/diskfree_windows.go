//go:build windows

package paths

import "golang.org/x/sys/windows"

// DiskFree is the space the user can still write in dir.
func DiskFree(dir string) (int64, error) {
	free, _, err := diskSpace(dir)
	return free, err
}

// DiskSize is the size of the volume that holds dir.
func DiskSize(dir string) (int64, error) {
	_, total, err := diskSpace(dir)
	return total, err
}

func diskSpace(dir string) (free, total int64, err error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return -1, -1, err
	}
	var f, t, tf uint64
	if err := windows.GetDiskFreeSpaceEx(p, &f, &t, &tf); err != nil {
		return -1, -1, err
	}
	return int64(f), int64(t), nil
}
