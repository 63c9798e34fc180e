// Package settle reads configuration files only once they are complete,
// so that a reload never serves a file caught half-written.
//
// Operators and tools rewrite configuration files in place (`cat >
// baton.cfg`, an editor saving over the file, a template renderer) and
// reload at once, or a reload signal arrives from elsewhere while the file
// is being written. A reader that takes whatever bytes are there may get
// only the file's first lines: with its global and defaults sections and
// no listener, or with half of its backends.
//
// The model: a file is read only when
//
//   - no process has it open for writing. Linux tells: a read lease
//     (fcntl F_SETLEASE, F_RDLCK) cannot be taken while any writer has
//     the file open, and while it is held a writer opening the file waits
//     for its release. The lease is held only across the read itself,
//     microseconds, so what is read is one whole version of a file whose
//     writers keep it open until they are done (`cat > file`, editors,
//     most programs). Where it cannot be taken at all (not the file's
//     owner and no CAP_LEASE, a file system without leases) this check
//     is skipped and the next one always applies;
//   - a file rewritten in place (the same inode as the previous read) or
//     one whose writers cannot be probed has not changed (mtime, ctime)
//     for Interval, 100 ms by default. ctime cannot be set back by a
//     writer, so a tool that restores mtime (cp -p) is still seen;
//   - its size, times and inode are the same before and after the read,
//     and the path still names the inode that was read.
//
// The quiet interval is the only guard against a writer that reopens the
// file for each piece (a script appending line by line): one that pauses
// longer than Interval between pieces can still be read half-written.
//
// A file renamed over the old one (a new inode that no one writes) is read
// at once: that is the atomic way to replace a configuration, and the
// one the documentation recommends. A file that does not settle within
// Limit, 3 s by default, fails the read with ErrKeptChanging, and the
// master keeps serving the configuration it has.
package settle
