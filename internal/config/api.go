package config

// This file fixes the package's entry points; parse.go implements them.

// Load reads the configuration from paths, as HAProxy's -f does: each path
// is a file, or a directory whose "*.cfg" files are read in lexical order.
// The files are concatenated as one configuration. On failure the error is
// an ErrorList holding every error found, each prefixed with "file:line: ".
//
//	func Load(paths ...string) (*Config, error)

// Parse parses one configuration text; name is used in positions.
//
//	func Parse(name string, src []byte) (*Config, error)

// Explain writes, for every proxy, each effective timeout and keep-alive
// mode and where it came from, followed by warnings.
//
//	func Explain(w io.Writer, c *Config)

// Sources: the master reads the files once, validates them, and hands the
// very same bytes to the worker, so a file edited between the check and
// the worker's start cannot make them disagree.
//
//	type Source struct { Name string; Data []byte }
//	func ReadSources(paths ...string) ([]Source, error)  // files, or directories' *.cfg in lexical order
//	func ParseSources(srcs []Source) (*Config, error)     // one configuration from all sources, in order
//	// Load is ReadSources followed by ParseSources.
