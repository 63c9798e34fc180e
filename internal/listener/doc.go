// Package listener binds the TCP listening sockets the master owns and
// rebuilds them in a worker from inherited file descriptors.
//
// One socket per address is shared by every worker generation: the master
// binds it once and keeps it open across reloads, and each worker receives
// a duplicate descriptor (os/exec ExtraFiles) together with its name, the
// configuration's Bind.Addr. Because all generations accept from the very
// same socket, connections waiting in the kernel's accept queue survive any
// hand-over; nothing is bound twice, so there is no SO_REUSEPORT and no
// second queue that a closing process could reset. Go's net package sets
// SO_REUSEADDR, so a restarted master can bind while old connections sit in
// TIME_WAIT.
//
// A listener's name is its canonical address (package sockaddr): TCP
// ("127.0.0.1:80", "ipv4@...", "ipv6@..."), a UNIX socket file
// ("unix@PATH", bound beside the path and renamed over it, with its mode
// and owner, and left in place when closed, as HAProxy does), an
// abstract UNIX socket ("abns@NAME") or a socket the master inherited
// ("fd@N", adopted once: a released number may belong to another file).
// ListenLocal opens the same forms for sockets the master serves itself
// (CLI, stats).
//
// Names travel beside the descriptors as a list in descriptor order; Names
// and ParseNames encode that list for an environment variable, and Inherit
// pairs the list with the files.
package listener
