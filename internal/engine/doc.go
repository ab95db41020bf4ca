// Package engine connects distill to BuildKit and shows build progress.
//
// It owns the connection: to the daemon named by BUILDKIT_HOST (or WithAddr), which it
// never starts or stops, or else to a local rootful buildkitd that it starts in a private
// state directory and stops again on Close (unless WithKeep). Two distill processes that
// use the same state directory share one daemon: a lock file serialises starting and
// stopping it, and a daemon is stopped only when no other process still uses it.
//
// It does not build anything itself: callers hand Solve an LLB definition or Build a
// gateway build function. Both take observers of BuildKit's status stream besides the
// progress display; a Trace is one, and keeps each vertex's cache hit, error and last
// output for reports and error messages. It must not import the CLI, the Dagger module
// or the frontend.
//
// The files of a state directory:
//
//	buildkitd.sock   the daemon's socket (unix://<dir>/buildkitd.sock)
//	buildkitd.pid    its process id while it runs
//	buildkitd.log    its output, truncated on every start
//	buildkitd.toml   the WithConfig content, when there is any
//	root/            its cache and snapshots (--root)
//	lock, users      lock files: starting/stopping, and processes using the daemon
//	stop-when-unused the Engine that started the daemon closed while others used it:
//	                 the last of them stops it
package engine
