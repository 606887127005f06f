//! The window that shows the browser's camera: winit's event loop on the main thread,
//! pictures drawn with softbuffer. Decoded I420 pictures arrive as user events from the
//! peer's task (which never waits for the window); the loop converts the newest one to RGB
//! (yuvutils-rs, BT.601 limited range as VP8 and the browsers use) and draws it, scaled to
//! the window, which opens at the size of the first picture and follows the picture's size.
#![allow(clippy::print_stdout)]

use std::num::NonZeroU32;
use std::rc::Rc;

use rtcweb_media::I420Frame;
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::window::{Window, WindowId};
use yuvutils_rs::{YuvPlanarImage, YuvRange, YuvStandardMatrix, yuv420_to_bgra};

/// What the rest of the program tells the window.
#[derive(Debug)]
pub(crate) enum UserEvent {
    /// A decoded picture of the browser's camera.
    Picture(I420Frame),
    /// Time is up (`--seconds`), or the program is stopping.
    Quit,
}

/// The event loop, made before anything else runs (winit wants the main thread); `None`
/// without a display (said on the terminal).
pub(crate) fn event_loop() -> Option<EventLoop<UserEvent>> {
    match EventLoop::<UserEvent>::with_user_event().build() {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!(
                "no display ({e}): the browser's video is decoded but not shown \
                 (set DISPLAY or WAYLAND_DISPLAY to see it)"
            );
            None
        }
    }
}

/// A handle for other threads: `false` once the window is gone.
pub(crate) fn sender(proxy: EventLoopProxy<UserEvent>) -> impl Fn(UserEvent) -> bool + Send + Sync {
    move |event| proxy.send_event(event).is_ok()
}

/// Runs the loop until the window is closed or [`UserEvent::Quit`] arrives.
pub(crate) fn run(event_loop: EventLoop<UserEvent>) -> Result<(), String> {
    event_loop.set_control_flow(ControlFlow::Wait);
    let mut app = App::default();
    event_loop.run_app(&mut app).map_err(|e| e.to_string())?;
    println!("the window drew {} pictures", app.shown);
    app.error.map_or(Ok(()), Err)
}

type Surface = softbuffer::Surface<Rc<Window>, Rc<Window>>;

#[derive(Default)]
struct App {
    window: Option<(Rc<Window>, Surface)>,
    picture: Option<I420Frame>,
    bgra: Vec<u8>,
    shown: u64,
    said_where: bool,
    error: Option<String>,
}

impl App {
    fn open(&mut self, event_loop: &ActiveEventLoop, width: u32, height: u32) {
        let attributes = Window::default_attributes()
            .with_title("rtcweb call: the browser's camera")
            .with_inner_size(PhysicalSize::new(width, height));
        let opened = event_loop
            .create_window(attributes)
            .map_err(|e| e.to_string())
            .and_then(|w| {
                let w = Rc::new(w);
                let context = softbuffer::Context::new(Rc::clone(&w)).map_err(|e| e.to_string())?;
                let surface =
                    softbuffer::Surface::new(&context, Rc::clone(&w)).map_err(|e| e.to_string())?;
                Ok((w, surface))
            });
        match opened {
            Ok(window) => self.window = Some(window),
            Err(e) => self.fail(event_loop, format!("no window: {e}")),
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: String) {
        eprintln!("{error}");
        self.error = Some(error);
        event_loop.exit();
    }

    /// Draws the newest picture, scaled (nearest pixel) to the window.
    fn draw(&mut self, event_loop: &ActiveEventLoop) {
        let (Some((window, surface)), Some(picture)) = (&mut self.window, &self.picture) else {
            return;
        };
        let size = window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(size.width), NonZeroU32::new(size.height)) else {
            return;
        };
        let (pw, ph) = (picture.width(), picture.height());
        self.bgra.resize(pw as usize * ph as usize * 4, 0);
        let image = YuvPlanarImage {
            y_plane: picture.y(),
            y_stride: pw,
            u_plane: picture.u(),
            u_stride: picture.chroma_width(),
            v_plane: picture.v(),
            v_stride: picture.chroma_width(),
            width: pw,
            height: ph,
        };
        if let Err(e) = yuv420_to_bgra(
            &image,
            &mut self.bgra,
            pw * 4,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
        ) {
            eprintln!("a picture not shown: {e}");
            return;
        }
        let drawn = surface.resize(w, h).and_then(|()| {
            let mut buffer = surface.buffer_mut()?;
            let (ww, wh) = (w.get() as usize, h.get() as usize);
            for y in 0..wh {
                let sy = y * ph as usize / wh;
                let row = &self.bgra[sy * pw as usize * 4..(sy + 1) * pw as usize * 4];
                for (x, out) in buffer[y * ww..(y + 1) * ww].iter_mut().enumerate() {
                    let sx = x * pw as usize / ww * 4;
                    // softbuffer's pixels are 0x00RRGGBB: B, G, R, 0 in memory.
                    *out = u32::from_le_bytes([row[sx], row[sx + 1], row[sx + 2], 0]);
                }
            }
            buffer.present()
        });
        if let Err(e) = drawn {
            self.fail(event_loop, format!("drawing failed: {e}"));
            return;
        }
        self.shown += 1;
        if !self.said_where {
            self.said_where = true;
            // Where it is on the screen: the CI test looks there in a screenshot.
            let at = window
                .inner_position()
                .map(|p| (p.x, p.y))
                .unwrap_or((0, 0));
            println!(
                "window: {}x{} at {},{}: showing the browser's camera",
                size.width, size.height, at.0, at.1
            );
        }
    }
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, _event_loop: &ActiveEventLoop) {
        // The window opens with the first picture, at its size.
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Picture(picture) => {
                let size = PhysicalSize::new(picture.width(), picture.height());
                match &self.window {
                    None => self.open(event_loop, size.width, size.height),
                    Some((window, _)) => {
                        let was = self.picture.as_ref().map(|p| (p.width(), p.height()));
                        if was != Some((size.width, size.height)) {
                            // The browser changed its resolution: follow it.
                            let _ = window.request_inner_size(size);
                        }
                    }
                }
                self.picture = Some(picture);
                if let Some((window, _)) = &self.window {
                    window.request_redraw();
                }
            }
            UserEvent::Quit => event_loop.exit(),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => self.draw(event_loop),
            WindowEvent::Resized(_) => {
                if let Some((window, _)) = &self.window {
                    window.request_redraw();
                }
            }
            _ => {}
        }
    }
}
