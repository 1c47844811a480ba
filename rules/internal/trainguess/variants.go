package main

// learners are the variants -model-only compares, the committed one first.
func learners() []learner {
	return []learner{committed()}
}
