// Command go-app-failing is the smallest Go program with tests; one of them fails
// on purpose (see README.md).
package main

import "fmt"

// add returns a + b.
func add(a, b int) int { return a + b }

func main() { fmt.Println("2 + 3 =", add(2, 3)) }
