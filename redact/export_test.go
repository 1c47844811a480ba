package redact

// The unexported steps the external tests (package redact_test, which may
// import excerpt) check on their own.
var (
	MayContainSecret     = mayContainSecret
	ScrubLine            = scrubLine
	LooksLikeKeyMaterial = looksLikeKeyMaterial
)
