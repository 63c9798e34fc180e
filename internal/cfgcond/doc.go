// Package cfgcond evaluates the conditions of HAProxy's conditional blocks
// (".if COND", ".elif COND") and of "baton -cc COND".
//
// Model. A condition is one line of text: the words of the directive after
// the configuration lexer resolved quotes, escapes and environment
// variables, joined with single spaces (HAProxy does the same, so
// `.if streq(a, b)` compares "a" with " b"). Eval parses the whole text
// first, so a syntax error is reported even in a part that short-circuit
// evaluation would skip, and then evaluates it:
//
//	expr  := and { "||" and }         lowest precedence
//	and   := term { "&&" term }
//	term  := "!" term | "(" expr ")" | NUMBER | PREDICATE [ "(" args ")" ]
//
// A number is true when it is not zero (C's strtol notation: decimal, 0x
// hexadecimal, leading-zero octal, optional sign); the empty condition is
// false. Predicates:
//
//	defined(NAME)          an environment variable NAME exists (even empty)
//	feature(NAME)          NAME is in Features, the build options Baton
//	                       really has ("baton -vv" lists them)
//	streq(A,B), strneq(A,B) the two strings are equal / differ
//	version_atleast(V)     Version >= V
//	version_before(V)      Version < V
//
// Version is the HAProxy language level Baton implements (2.6.12, the
// manuals in doc/ and the oracle the tests run); versions compare like
// HAProxy's: MAJOR.MINOR.PATCH.SUB, then -devN < -preN < -rcN < release,
// then a trailing -COMMIT count; a version that cannot be read counts as 0.
//
// Arguments are separated by commas and end at the closing parenthesis;
// inside them "..." and '...' quote commas and parentheses, and a
// backslash escapes a quote or a backslash (a second level of quoting,
// as the HAProxy manual describes for keyword arguments). Spaces are
// kept: they are part of the argument.
package cfgcond
