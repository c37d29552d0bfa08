//go:build windows

package download

import "golang.org/x/sys/windows"

// DiskFree is the space the user can still write in dir.
func DiskFree(dir string) (int64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return -1, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return -1, err
	}
	return int64(free), nil
}
