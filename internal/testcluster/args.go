package testcluster

// APIServerArgs returns the command-line flags kube-apiserver was started
// with (--name=value, one per value), as envtest rendered them: the same
// arguments Start configured, with envtest's own defaults (ports,
// certificates, etcd address) filled in. Tests that check flags write them
// into a static-pod manifest.
func (c *Cluster) APIServerArgs() []string {
	if c.Env == nil || c.Env.ControlPlane.APIServer == nil {
		return nil
	}
	return c.Env.ControlPlane.APIServer.Configure().AsStrings(nil)
}
