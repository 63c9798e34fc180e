package reloadtest

// This file fixes the package's entry points; the other files implement them.
//
//	// Main runs "baton reload-test" with its arguments and returns the
//	// exit status: 0 when no request failed, 1 otherwise, 2 on usage.
//	func Main(args []string, stdout, stderr io.Writer) int
