package attest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
)

// Subject is what a statement is about: an image by name and digest.
type Subject struct {
	Name   string // the image's repository, e.g. "example.com/app"; may be empty
	Digest v1.Hash
}

// Statement wraps a predicate in an in-toto Statement v1
// (https://in-toto.io/Statement/v1) about subjects, sorted by name and
// digest. predicate must be one JSON object; it is embedded as is, its keys
// sorted like the rest of the statement.
func Statement(predicateType string, predicate []byte, subjects ...Subject) ([]byte, error) {
	if predicateType == "" {
		return nil, errors.New("in-toto statement: a predicate type is required")
	}
	pred, err := jsonObject(predicate)
	if err != nil {
		return nil, fmt.Errorf("in-toto statement: %s predicate: %w", predicateType, err)
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("in-toto statement: %s: a subject is required", predicateType)
	}
	subjects = slices.Clone(subjects)
	slices.SortFunc(subjects, func(a, b Subject) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Digest.String(), b.Digest.String()))
	})
	subjects = slices.Compact(subjects)
	st := in_toto.Statement{
		StatementHeader: in_toto.StatementHeader{Type: in_toto.StatementInTotoV1, PredicateType: predicateType},
		Predicate:       pred,
	}
	for _, s := range subjects {
		d, err := hashSet(s.Digest)
		if err != nil {
			return nil, fmt.Errorf("in-toto statement: subject %s: %w", s.Name, err)
		}
		st.Subject = append(st.Subject, in_toto.Subject{Name: s.Name, Digest: d})
	}
	out, err := canonical(st)
	if err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	return out, nil
}
