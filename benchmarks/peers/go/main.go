// The Go standard library's echo peer for the benchmark suite: what a Go user writes for a custom TCP server in a
// few lines. A goroutine per connection reading and writing through net.Conn, and one goroutine serving UDP with
// ReadFrom/WriteTo. Built by benchmarks/run with `go build` (Debian's golang-go); not part of the product.
//
// Usage: goecho TCP_PORT [UDP_PORT]   (0 picks a free port; without UDP_PORT there is no UDP listener)
// Prints "listening on tcp://127.0.0.1:PORT" (and "listening on udp://127.0.0.1:PORT") once bound, then serves
// until SIGINT or SIGTERM.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func serveConnection(connection net.Conn) {
	defer connection.Close()
	buffer := make([]byte, 65536)
	for {
		read, err := connection.Read(buffer)
		if read > 0 {
			// Write writes everything or returns an error, as sendall does.
			if _, err := connection.Write(buffer[:read]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func serveTCP(listener net.Listener) {
	for {
		connection, err := listener.Accept()
		if err != nil {
			return
		}
		go serveConnection(connection)
	}
}

func serveUDP(socket net.PacketConn) {
	buffer := make([]byte, 65536)
	for {
		read, peer, err := socket.ReadFrom(buffer)
		if err != nil {
			return
		}
		socket.WriteTo(buffer[:read], peer)
	}
}

func port(text string) int {
	value, err := strconv.Atoi(text)
	if err != nil || value < 0 || value > 65535 {
		fmt.Fprintf(os.Stderr, "goecho: '%s' is not a port number\n", text)
		os.Exit(2)
	}
	return value
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: goecho TCP_PORT [UDP_PORT]")
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)

	// net.Listen sets TCP_NODELAY on accepted connections (Go's default), and listens with the system's backlog.
	listener, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port(os.Args[1])))
	if err != nil {
		fmt.Fprintln(os.Stderr, "goecho:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on tcp://127.0.0.1:%d\n", listener.Addr().(*net.TCPAddr).Port)
	go serveTCP(listener)
	if len(os.Args) == 3 {
		socket, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port(os.Args[2])})
		if err != nil {
			fmt.Fprintln(os.Stderr, "goecho:", err)
			os.Exit(1)
		}
		fmt.Printf("listening on udp://127.0.0.1:%d\n", socket.LocalAddr().(*net.UDPAddr).Port)
		go serveUDP(socket)
	}
	os.Stdout.Sync()
	<-stop
	listener.Close()
}
