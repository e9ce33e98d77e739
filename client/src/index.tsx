import { render } from 'solid-js/web'
import { Route, Router } from '@solidjs/router'
import { lazy } from 'solid-js'
import './ui/styles.css'

const Home = lazy(() => import('./routes/home'))
const Login = lazy(() => import('./routes/login'))
const Register = lazy(() => import('./routes/register'))
const VerifyEmail = lazy(() => import('./routes/verify-email'))
const ForgotPassword = lazy(() => import('./routes/password').then((m) => ({ default: m.ForgotPassword })))
const ResetPassword = lazy(() => import('./routes/password').then((m) => ({ default: m.ResetPassword })))

render(
  () => (
    <Router>
      <Route path="/" component={Home} />
      <Route path="/login" component={Login} />
      <Route path="/register" component={Register} />
      <Route path="/verify-email" component={VerifyEmail} />
      <Route path="/forgot-password" component={ForgotPassword} />
      <Route path="/reset-password" component={ResetPassword} />
    </Router>
  ),
  document.getElementById('root')!,
)
