package checkpoint

import (
	"bufio"
	"hash"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// chunkSize is how much raw body the producer gathers before handing it on;
// with compression, each chunk becomes one independent zstd frame.
const chunkSize = 1 << 20

// bodyPipeline writes a checkpoint body in three stages, so that reading the
// backend, compressing and writing the file overlap:
//
//	producer (the caller)  encodes records into chunks
//	compressors (N)        turn chunks into zstd frames, in parallel
//	writer (1)             takes results in order, hashes and writes them
//
// Channels are bounded, so at most a few chunks are in memory at once.
type bodyPipeline struct {
	chunk   []byte // being filled by the producer
	jobs    chan compressJob
	order   chan chan []byte // one result per chunk, in chunk order
	free    chan []byte      // recycled chunk buffers
	abort   chan struct{}    // closed when the writer fails
	stopped sync.Once

	compressors sync.WaitGroup
	writerDone  chan struct{}
	writeErr    error  // set by the writer before writerDone closes
	stored      uint64 // body bytes written, set by the writer
	raw         uint64 // body bytes before compression, counted by the producer
}

type compressJob struct {
	data   []byte
	result chan []byte
}

// newBodyPipeline starts the stages. out and h receive the stored body; the
// caller must not touch them until finish returns.
func newBodyPipeline(out *bufio.Writer, h hash.Hash, compress bool) (*bodyPipeline, error) {
	workers := runtime.GOMAXPROCS(0)
	p := &bodyPipeline{
		order:      make(chan chan []byte, 2*workers+2),
		free:       make(chan []byte, 2*workers+4),
		abort:      make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	p.chunk = p.buffer()
	if compress {
		p.jobs = make(chan compressJob, workers)
		encoders := make([]*zstd.Encoder, workers)
		for i := range encoders {
			// A window of one chunk: a frame never refers past its own chunk
			// anyway, and the encoder's history buffer is sized by the window
			// (16 MiB each at zstd's default 8 MiB window, 1.1 MiB at this one).
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
				zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false),
				zstd.WithWindowSize(chunkSize))
			if err != nil {
				return nil, err
			}
			encoders[i] = enc
		}
		for _, enc := range encoders {
			p.compressors.Go(func() {
				defer enc.Close()
				for j := range p.jobs { // every job gets a result, so the writer never waits forever
					frame := enc.EncodeAll(j.data, p.buffer())
					p.recycle(j.data)
					j.result <- frame
				}
			})
		}
	}
	go p.write(out, h)
	return p, nil
}

func (p *bodyPipeline) buffer() []byte {
	select {
	case b := <-p.free:
		return b[:0]
	default:
		return make([]byte, 0, chunkSize+chunkSize/8)
	}
}

func (p *bodyPipeline) recycle(b []byte) {
	if cap(b) < chunkSize {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

func (p *bodyPipeline) write(out *bufio.Writer, h hash.Hash) {
	defer close(p.writerDone)
	for result := range p.order {
		b := <-result
		if p.writeErr == nil {
			h.Write(b)
			if _, err := out.Write(b); err != nil {
				p.writeErr = err
				p.stopped.Do(func() { close(p.abort) })
			}
			p.stored += uint64(len(b))
		}
		p.recycle(b)
	}
}

// append adds encoded bytes to the body.
func (p *bodyPipeline) append(b ...byte) { p.chunk = append(p.chunk, b...) }

// maybeFlush hands the current chunk on when it is full. It returns false if the
// writer has failed.
func (p *bodyPipeline) maybeFlush() bool {
	if len(p.chunk) < chunkSize {
		return true
	}
	return p.flush()
}

func (p *bodyPipeline) flush() bool {
	if len(p.chunk) == 0 {
		return true
	}
	data := p.chunk
	p.raw += uint64(len(data))
	result := make(chan []byte, 1)
	select {
	case p.order <- result:
	case <-p.abort:
		return false
	}
	if p.jobs != nil {
		p.jobs <- compressJob{data: data, result: result} // compressors always drain jobs
	} else {
		result <- data
	}
	p.chunk = p.buffer()
	return true
}

// finish flushes the last chunk, stops every stage and waits for them. It
// returns the writer's error, if any. Call it exactly once, on every path.
func (p *bodyPipeline) finish(flushLast bool) error {
	if flushLast {
		p.flush()
	}
	if p.jobs != nil {
		close(p.jobs)
	}
	close(p.order)
	p.compressors.Wait()
	<-p.writerDone
	return p.writeErr
}
