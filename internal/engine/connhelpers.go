package engine

// BUILDKIT_HOST may name a BuildKit reached through another program, as buildctl
// allows: a buildx docker-container builder, a Podman container, a Kubernetes pod, or
// an SSH host. These register the URL schemes with the BuildKit client.
import (
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer" // docker-container://<container>
	_ "github.com/moby/buildkit/client/connhelper/kubepod"         // kube-pod://<pod>
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer" // podman-container://<container>
	_ "github.com/moby/buildkit/client/connhelper/ssh"             // ssh://<user>@<host>
)
